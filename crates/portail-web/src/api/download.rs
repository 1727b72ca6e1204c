//! The front-office download URL, `/explore/dataset/<id>/download/?format=csv…`, as Opendatasoft
//! portals serve it: v1 parameters (`q`, `refine.<field>`, `exclude.<field>`, `fields`, `sort`,
//! `use_labels_for_header`, `csv_separator`), and errors as JSON with an `error` key.

use super::catalog::find_visible;
use super::v1::{export_v1, v1_error, V1Params};
use crate::app::AppState;
use crate::session::Identity;
use crate::tenant::Site;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::Extension;

pub async fn download(
    State(app): State<AppState>,
    Extension(site): Extension<Site>,
    Extension(identity): Extension<Option<Identity>>,
    Path(dataset_id): Path<String>,
    uri: Uri,
) -> Response {
    let params = V1Params::new(&uri, &Method::GET, &HeaderMap::new(), &Bytes::new());
    let run = async {
        let current = find_visible(&app, &site, &identity, &dataset_id).await?;
        export_v1(&current, &params).await
    };
    run.await.unwrap_or_else(v1_error)
}
