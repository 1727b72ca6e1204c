//! `/backoffice/datasets/{id}/metadata/`: a dataset's information as the catalog, the API and
//! harvesters show it (title, description, themes, keywords, licence, publisher). Editors and
//! admins change it; viewers read it.

use super::datasets::can_edit;
use crate::context::{form_value, query_value, see_other, Ctx};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use portail_catalog::{can_be_facet, check_metadata, CatalogError, MetadataError, MetadataForm, Problem};
use portail_core::{Code, Lang};
use serde_json::json;

/// Form field, label key, current value.
fn fields(form: &MetadataForm) -> serde_json::Value {
    json!([
        {"name": "title", "label": "dm-field-title", "value": form.title, "kind": "line"},
        {"name": "description", "label": "dm-field-description", "value": form.description, "kind": "text"},
        {"name": "theme", "label": "dm-field-theme", "value": form.theme, "kind": "line"},
        {"name": "keyword", "label": "dm-field-keyword", "value": form.keyword, "kind": "line"},
        {"name": "license", "label": "dm-field-license", "value": form.license, "kind": "line"},
        {"name": "license_url", "label": "dm-field-license-url", "value": form.license_url, "kind": "line"},
        {"name": "publisher", "label": "dm-field-publisher", "value": form.publisher, "kind": "line"},
    ])
}

fn error_text(ctx: &Ctx, e: &MetadataError) -> String {
    let field = ctx.t(&format!("dm-field-{}", e.field.replace('_', "-")));
    let (key, max) = match e.problem {
        Problem::Empty => ("dm-error-empty", 0),
        Problem::TooLong(max) => ("dm-error-too-long", max),
        Problem::TooMany(max) => ("dm-error-too-many", max),
        Problem::NotAnAddress => ("dm-error-address", 0),
        Problem::ControlCharacters => ("dm-error-control", 0),
        Problem::OneLine => ("dm-error-one-line", 0),
    };
    ctx.app.i18n.text(ctx.lang, key, &[("field", field), ("max", max.to_string())])
}

/// The fields that can be facets, each with whether it is one.
async fn facet_choices(ctx: &Ctx, d: &portail_store::DatasetRecord, chosen: &[String]) -> Vec<serde_json::Value> {
    let schema = match ctx.app.catalog.current(d).await {
        Ok(Some(c)) => c.version.schema,
        _ => portail_core::Schema::default(),
    };
    schema
        .fields
        .iter()
        .filter(|f| can_be_facet(&schema, &f.name))
        .map(|f| json!({"name": f.name, "label": f.label, "checked": chosen.contains(&f.name)}))
        .collect()
}

/// The portal's other language: the one its datasets' information is translated into.
fn other_lang(ctx: &Ctx) -> Lang {
    match ctx.site.portal.default_lang {
        Lang::Fr => Lang::En,
        Lang::En => Lang::Fr,
    }
}

/// The translation form: the title, description and field labels in the other language.
async fn translation(ctx: &Ctx, d: &portail_store::DatasetRecord) -> serde_json::Value {
    let lang = other_lang(ctx);
    let t = d.metas.translations.get(lang.code()).cloned().unwrap_or_default();
    let schema = match ctx.app.catalog.current(d).await {
        Ok(Some(c)) => c.version.schema,
        _ => portail_core::Schema::default(),
    };
    let labels: Vec<serde_json::Value> = schema
        .fields
        .iter()
        .map(|f| json!({"name": f.name, "label": f.label, "value": t.labels.get(&f.name).cloned().unwrap_or_default()}))
        .collect();
    json!({
        "lang": lang.code(),
        "language": ctx.t(&format!("lang-name-{}", lang.code())),
        "title": t.title,
        "description": t.description,
        "labels": labels,
    })
}

async fn render(
    ctx: &Ctx,
    d: &portail_store::DatasetRecord,
    form: &MetadataForm,
    facets: Vec<serde_json::Value>,
    saved: bool,
    error: Option<String>,
) -> Response {
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = ctx
        .page("backoffice_dataset_metadata.html")
        .status(status)
        .with_form()
        .with("dataset_id", &d.dataset_id)
        .with("fields", fields(form))
        .with("translation", translation(ctx, d).await)
        .with("facets", facets)
        .with("can_edit", can_edit(ctx))
        .with("saved", saved)
        .with("error", error);
    ctx.render(page)
}

/// The portal's dataset, or the page to answer (404, or 500 with the error logged).
pub(super) async fn dataset(ctx: &Ctx, dataset_id: &str) -> Result<portail_store::DatasetRecord, Response> {
    match ctx.app.catalog.dataset(ctx.site.portal.id, dataset_id).await {
        Ok(d) => Ok(d),
        Err(CatalogError::NotFound(_)) => Err(ctx.not_found()),
        Err(e) => {
            tracing::error!(error = %e, "cannot read a dataset");
            Err(ctx.error(Code::Internal, "error-500-body"))
        }
    }
}

fn sign_in_first(dataset_id: &str) -> Response {
    see_other(&format!("/login/?next=/backoffice/datasets/{dataset_id}/metadata/"))
}

pub async fn page(ctx: Ctx, Path(dataset_id): Path<String>, uri: Uri) -> Response {
    if ctx.identity.is_none() {
        return sign_in_first(&dataset_id);
    }
    match dataset(&ctx, &dataset_id).await {
        Ok(d) => {
            let form = MetadataForm::of(&d);
            let facets = facet_choices(&ctx, &d, &form.facets).await;
            render(&ctx, &d, &form, facets, query_value(uri.query(), "saved").is_some(), None).await
        }
        Err(answer) => answer,
    }
}

pub async fn save(ctx: Ctx, Path(dataset_id): Path<String>, body: Bytes) -> Response {
    if ctx.identity.is_none() {
        return sign_in_first(&dataset_id);
    }
    if !can_edit(&ctx) {
        return ctx.error(Code::Forbidden, "error-403-forbidden");
    }
    let d = match dataset(&ctx, &dataset_id).await {
        Ok(d) => d,
        Err(answer) => return answer,
    };
    let field = |name: &str| form_value(&body, name).unwrap_or_default();
    // One `facet` per ticked box.
    let facets: Vec<String> =
        form_urlencoded::parse(&body).filter(|(k, _)| k == "facet").map(|(_, v)| v.into_owned()).collect();
    let form = MetadataForm {
        title: field("title"),
        description: field("description"),
        theme: field("theme"),
        keyword: field("keyword"),
        license: field("license"),
        license_url: field("license_url"),
        publisher: field("publisher"),
        facets,
    };
    // Checked here first so that the page can say what is wrong in the visitor's language.
    if let Err(e) = check_metadata(&form) {
        let facets = facet_choices(&ctx, &d, &form.facets).await;
        return render(&ctx, &d, &form, facets, false, Some(error_text(&ctx, &e))).await;
    }
    match ctx.app.catalog.set_metadata(ctx.site.portal.id, &dataset_id, &form).await {
        Ok(_) => see_other(&format!("/backoffice/datasets/{dataset_id}/metadata/?saved=1")),
        Err(CatalogError::NotFound(_)) => ctx.not_found(),
        // Only a forged form names a field the page does not offer.
        Err(CatalogError::Invalid(_)) => ctx.error(Code::InvalidParameter, "dm-error-facet"),
        Err(e) => {
            tracing::error!(error = %e, "saving dataset metadata failed");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}

/// Saves the translation form: the title, description and labels in the portal's other
/// language (empty ones stay in the original; all empty removes the translation).
pub async fn save_translation(ctx: Ctx, Path(dataset_id): Path<String>, body: Bytes) -> Response {
    if ctx.identity.is_none() {
        return sign_in_first(&dataset_id);
    }
    if !can_edit(&ctx) {
        return ctx.error(Code::Forbidden, "error-403-forbidden");
    }
    if let Err(answer) = dataset(&ctx, &dataset_id).await {
        return answer;
    }
    let translation = portail_store::Translation {
        title: form_value(&body, "title").unwrap_or_default(),
        description: form_value(&body, "description").unwrap_or_default().replace("\r\n", "\n"),
        labels: form_urlencoded::parse(&body)
            .filter_map(|(k, v)| k.strip_prefix("label.").map(|name| (name.to_owned(), v.into_owned())))
            .collect(),
    };
    if translation.title.chars().count() > 200 || translation.title.contains('\n') {
        return ctx.error(Code::InvalidParameter, "dm-error-translation");
    }
    match ctx.app.catalog.set_translation(ctx.site.portal.id, &dataset_id, other_lang(&ctx), translation).await {
        Ok(_) => see_other(&format!("/backoffice/datasets/{dataset_id}/metadata/?saved=1")),
        Err(CatalogError::NotFound(_)) => ctx.not_found(),
        // Only a forged form names a field the page does not offer.
        Err(CatalogError::Invalid(_)) => ctx.error(Code::InvalidParameter, "dm-error-translation"),
        Err(e) => {
            tracing::error!(error = %e, "saving a dataset translation failed");
            ctx.error(Code::Internal, "error-500-body")
        }
    }
}
