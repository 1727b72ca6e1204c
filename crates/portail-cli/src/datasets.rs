//! `portail dataset …`: import, list, publish, unpublish, restrict, delete, rollback, schema,
//! meta.

use crate::commands::open_store;
use crate::config::Config;
use crate::Failure;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use portail_catalog::{Catalog, CatalogError, ImportRequest, Progress};
use portail_core::{FieldOverride, FieldType};
use portail_ingest::SourceOptions;
use portail_store::MetadataStore;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum DatasetCommand {
    /// Import a file (CSV, XLSX/XLS/ODS, JSON, JSON Lines, GeoJSON, or a ZIP of one with the files its
    /// rows name) as a new version of a dataset
    Import {
        #[arg(long)]
        portal: String,
        file: PathBuf,
        /// Dataset id (default: derived from the file name)
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        title: Option<String>,
        /// Make the dataset visible once imported
        #[arg(long)]
        publish: bool,
        /// Spreadsheet sheet to read (default: the first)
        #[arg(long)]
        sheet: Option<String>,
        /// CSV separator: ';', ',', 'tab' or '|' (default: detected)
        #[arg(long, value_parser = parse_delimiter)]
        delimiter: Option<u8>,
        /// Text encoding, e.g. utf-8, windows-1252, iso-8859-1 (default: detected)
        #[arg(long)]
        encoding: Option<String>,
        /// Pad or cut rows whose field count differs from the header instead of failing
        #[arg(long)]
        lenient: bool,
    },
    /// List a portal's datasets
    List {
        #[arg(long)]
        portal: String,
    },
    /// Make a dataset visible
    Publish {
        #[arg(long)]
        portal: String,
        id: String,
    },
    /// Hide a dataset (its data stays)
    Unpublish {
        #[arg(long)]
        portal: String,
        id: String,
    },
    /// Restrict a dataset to the portal's signed-in users (or lift it with --off)
    Restrict {
        #[arg(long)]
        portal: String,
        id: String,
        #[arg(long)]
        off: bool,
    },
    /// Delete a dataset and all its versions
    Delete {
        #[arg(long)]
        portal: String,
        id: String,
    },
    /// Serve an earlier kept version again
    Rollback {
        #[arg(long)]
        portal: String,
        id: String,
        /// Version number (see `dataset schema` or `dataset list`); default: the one before the current
        #[arg(long)]
        to: Option<i64>,
    },
    /// Show the dataset's information; with options, change it (themes and keywords
    /// comma-separated; an empty value clears a field)
    Meta {
        #[arg(long)]
        portal: String,
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        theme: Option<String>,
        #[arg(long)]
        keyword: Option<String>,
        #[arg(long)]
        license: Option<String>,
        #[arg(long)]
        license_url: Option<String>,
        #[arg(long)]
        publisher: Option<String>,
        /// Fields to count as facets, comma-separated ('' for none)
        #[arg(long)]
        facets: Option<String>,
    },
    /// Show the schema; with --type or --label, change fields and re-process the data
    Schema {
        #[arg(long)]
        portal: String,
        id: String,
        /// FIELD=TYPE (text, int, double, boolean, date, datetime, geo_point_2d, geo_shape, file); repeatable
        #[arg(long = "type", value_name = "FIELD=TYPE")]
        types: Vec<String>,
        /// FIELD=LABEL; repeatable
        #[arg(long = "label", value_name = "FIELD=LABEL")]
        labels: Vec<String>,
    },
    /// Show the fields' annotations; with --set, change them (the data is re-processed only when
    /// the id fields change)
    Annotate {
        #[arg(long)]
        portal: String,
        id: String,
        /// FIELD.ANNOTATION=VALUE, an empty value to remove it; annotations: facet, disjunctive,
        /// id (the field makes the record id), sortable (true/false), facetsort (-count, count,
        /// alphanum, -alphanum, num, -num), multivalued and hierarchical (a separator character),
        /// unit, decimals, timeserie_precision, rdf_property (the IRI the RDF exports state the
        /// field with); repeatable
        #[arg(long = "set", value_name = "FIELD.ANNOTATION=VALUE")]
        set: Vec<String>,
        /// The RDF class of the records in the RDF exports (an IRI; empty to remove it)
        #[arg(long, value_name = "IRI")]
        rdf_class: Option<String>,
    },
    /// Show the dataset's translation into a language; with --title, --description or --label,
    /// change it (what is left unsaid stays in the portal's language; all empty removes it)
    Translate {
        #[arg(long)]
        portal: String,
        id: String,
        /// The language: en or fr
        #[arg(long)]
        lang: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// FIELD=LABEL, an empty label to remove it; repeatable
        #[arg(long = "label", value_name = "FIELD=LABEL")]
        labels: Vec<String>,
    },
}

/// Applies one `ANNOTATION=VALUE` to `a`.
fn set_annotation(a: &mut portail_core::Annotations, name: &str, value: &str) -> Result<(), String> {
    let flag = |v: &str| match v {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" | "" => Ok(false),
        _ => Err(format!("{name} is true or false, not `{v}`")),
    };
    let text = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    let separator = |v: &str| {
        let mut chars = v.chars();
        match (chars.next(), chars.next()) {
            (None, _) => Ok(None),
            (Some(c), None) => Ok(Some(c)),
            _ => Err(format!("{name} is one separator character, not `{v}`")),
        }
    };
    match name {
        "facet" => a.facet = flag(value)?,
        "disjunctive" => a.disjunctive = flag(value)?,
        "id" => a.id = flag(value)?,
        "sortable" => a.sortable = flag(value)?,
        "facetsort" => a.facetsort = text(value),
        "multivalued" => a.multivalued = separator(value)?,
        "hierarchical" => a.hierarchical = separator(value)?,
        "unit" => a.unit = text(value),
        "decimals" => {
            a.decimals = match value {
                "" => None,
                v => Some(v.parse().map_err(|_| format!("decimals is a number from 0 to 10, not `{v}`"))?),
            }
        }
        "timeserie_precision" => a.timeserie_precision = text(value),
        "rdf_property" => a.rdf_property = text(value),
        other => return Err(format!("unknown annotation `{other}`")),
    }
    Ok(())
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        ";" | "semicolon" => Ok(b';'),
        "," | "comma" => Ok(b','),
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        other => Err(format!("`{other}` is not a supported separator (use ';', ',', 'tab' or '|')")),
    }
}

impl From<CatalogError> for Failure {
    fn from(e: CatalogError) -> Self {
        if e.is_user_error() {
            Failure::Input(e.to_string())
        } else {
            Failure::Runtime(anyhow::anyhow!(e.to_string()))
        }
    }
}

/// A spinner with the row count on a terminal; nothing otherwise.
fn progress_bar() -> (Progress, Option<ProgressBar>) {
    if !std::io::stderr().is_terminal() {
        return (portail_catalog::no_progress(), None);
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {human_pos} rows ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message("importing");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let b = bar.clone();
    (Arc::new(move |n| b.set_position(n)), Some(bar))
}

fn print_schema(schema: &portail_core::Schema) {
    for f in &schema.fields {
        println!("  {:<28} {:<13} {}", f.name, f.field_type.as_str(), f.label);
    }
}

fn parse_pairs(items: &[String], what: &str) -> Result<Vec<(String, String)>, Failure> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                .ok_or_else(|| Failure::Input(format!("--{what} expects FIELD=VALUE, found `{item}`")))
        })
        .collect()
}

pub async fn run(config: &Config, cmd: DatasetCommand) -> Result<(), Failure> {
    let store = Arc::new(open_store(config).await?);
    let catalog = Catalog::new(store.clone(), &config.data_dir);
    let portal_of = |slug: String| {
        let store = store.clone();
        async move {
            store.portal_by_slug(&slug).await?.ok_or_else(|| Failure::Input(format!("no portal with slug `{slug}`")))
        }
    };
    match cmd {
        DatasetCommand::Import { portal, file, id, title, publish, sheet, delimiter, encoding, lenient } => {
            let portal = portal_of(portal).await?;
            if !file.is_file() {
                return Err(Failure::Input(format!("{}: no such file", file.display())));
            }
            let (progress, bar) = progress_bar();
            let req = ImportRequest {
                portal_id: portal.id,
                dataset_id: id,
                title,
                file,
                source: SourceOptions { delimiter, encoding, sheet, lenient },
                publish,
            };
            let result = catalog.import(req, progress).await;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let out = result?;
            for w in &out.warnings {
                eprintln!("warning: {w}");
            }
            println!(
                "imported {} version {}: {} rows, {} fields{} in {:.1} s{}",
                out.dataset.dataset_id,
                out.version,
                out.rows,
                out.schema.fields.len(),
                out.encoding.map(|e| format!(" ({e})")).unwrap_or_default(),
                out.seconds,
                if out.dataset.published {
                    ", published"
                } else {
                    ", not published (use --publish or `dataset publish`)"
                }
            );
            print_schema(&out.schema);
        }
        DatasetCommand::List { portal } => {
            let portal = portal_of(portal).await?;
            for d in store.datasets(portal.id).await? {
                let rows = match d.current_version {
                    Some(v) => store.version(&d.uid, v).await?.map_or(0, |v| v.rows),
                    None => 0,
                };
                println!(
                    "{}\t{}\t{}\t{}\tv{}\t{} rows",
                    d.dataset_id,
                    d.title,
                    if d.published { "published" } else { "draft" },
                    if d.restricted { "restricted" } else { "public" },
                    d.current_version.unwrap_or(0),
                    rows
                );
            }
        }
        DatasetCommand::Publish { portal, id } => {
            let portal = portal_of(portal).await?;
            catalog.set_published(portal.id, &id, true).await?;
            println!("published {id}");
        }
        DatasetCommand::Unpublish { portal, id } => {
            let portal = portal_of(portal).await?;
            catalog.set_published(portal.id, &id, false).await?;
            println!("unpublished {id}");
        }
        DatasetCommand::Restrict { portal, id, off } => {
            let portal = portal_of(portal).await?;
            let d = catalog.dataset(portal.id, &id).await?;
            store.set_restricted(&d.uid, !off, portail_catalog::now()).await?;
            println!("{id} is now {}", if off { "public" } else { "restricted to the portal's users" });
        }
        DatasetCommand::Delete { portal, id } => {
            let portal = portal_of(portal).await?;
            catalog.delete(portal.id, &id).await?;
            println!("deleted {id}");
        }
        DatasetCommand::Rollback { portal, id, to } => {
            let portal = portal_of(portal).await?;
            let d = catalog.dataset(portal.id, &id).await?;
            let versions: Vec<i64> = store.versions(&d.uid).await?.iter().map(|v| v.version).collect();
            let target = match to {
                Some(v) => v,
                None => {
                    let current = d.current_version.unwrap_or(0);
                    *versions
                        .iter()
                        .rev()
                        .find(|v| **v < current)
                        .ok_or_else(|| Failure::Input(format!("`{id}` has no earlier version kept")))?
                }
            };
            catalog.rollback(portal.id, &id, target).await?;
            println!(
                "{id} now serves version {target} (kept: {})",
                versions.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
            );
        }
        DatasetCommand::Meta {
            portal,
            id,
            title,
            description,
            theme,
            keyword,
            license,
            license_url,
            publisher,
            facets,
        } => {
            let portal = portal_of(portal).await?;
            let d = catalog.dataset(portal.id, &id).await?;
            let mut form = portail_catalog::MetadataForm::of(&d);
            let changes = [
                (&mut form.title, title),
                (&mut form.description, description),
                (&mut form.theme, theme),
                (&mut form.keyword, keyword),
                (&mut form.license, license),
                (&mut form.license_url, license_url),
                (&mut form.publisher, publisher),
            ];
            let mut changed = false;
            if let Some(list) = facets {
                form.facets = list.split(',').map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect();
                changed = true;
            }
            for (slot, value) in changes {
                if let Some(v) = value {
                    *slot = v;
                    changed = true;
                }
            }
            let d = if changed {
                portail_catalog::check_metadata(&form).map_err(|e| Failure::Input(e.to_string()))?;
                catalog.set_metadata(portal.id, &id, &form).await?
            } else {
                d
            };
            let m = &d.metas;
            println!("title\t{}", d.title);
            println!("description\t{}", d.description.replace('\n', " "));
            println!("theme\t{}", m.theme.join(", "));
            println!("keyword\t{}", m.keyword.join(", "));
            println!("license\t{}", m.license);
            println!("license_url\t{}", m.license_url);
            println!("publisher\t{}", m.publisher);
            println!("facets\t{}", m.facets.join(", "));
        }
        DatasetCommand::Annotate { portal, id, set, rdf_class } => {
            let portal = portal_of(portal).await?;
            let d = catalog.dataset(portal.id, &id).await?;
            let current =
                catalog.current(&d).await?.ok_or_else(|| Failure::Input(format!("`{id}` has no data yet")))?;
            let mut changes: BTreeMap<String, portail_core::Annotations> = BTreeMap::new();
            for (key, value) in parse_pairs(&set, "set")? {
                let (field, name) = key
                    .rsplit_once('.')
                    .ok_or_else(|| Failure::Input(format!("--set expects FIELD.ANNOTATION=VALUE, found `{key}`")))?;
                let f = current
                    .version
                    .schema
                    .field(field)
                    .ok_or_else(|| Failure::Input(current.version.schema.unknown_field(field)))?;
                let entry = changes.entry(field.to_owned()).or_insert_with(|| f.annotations.clone());
                set_annotation(entry, name, &value).map_err(|e| Failure::Input(format!("{field}: {e}")))?;
            }
            let (mut d, schema) = if changes.is_empty() {
                (d, current.version.schema)
            } else {
                let d = catalog.set_annotations(portal.id, &id, &changes).await?;
                let schema = catalog.current(&d).await?.map(|c| c.version.schema).unwrap_or_default();
                (d, schema)
            };
            if let Some(class) = rdf_class {
                d = catalog.set_rdf_class(portal.id, &id, Some(&class)).await?;
            }
            if let Some(class) = &d.metas.rdf_class {
                println!("  records are RDF {class}");
            }
            for f in &schema.fields {
                let rdf = f.annotations.rdf_property.as_deref().map(|p| format!(" rdf {p}")).unwrap_or_default();
                println!("  {:<28} {:<13} {}{rdf}", f.name, f.field_type.as_str(), f.annotations.v2_json());
            }
        }
        DatasetCommand::Translate { portal, id, lang, title, description, labels } => {
            let portal = portal_of(portal).await?;
            let lang = portail_core::Lang::from_tag(&lang)
                .ok_or_else(|| Failure::Input(format!("--lang: `{lang}` is not a language of portail (en, fr)")))?;
            let mut d = catalog.dataset(portal.id, &id).await?;
            let changed = title.is_some() || description.is_some() || !labels.is_empty();
            if changed {
                let mut t = d.metas.translations.get(lang.code()).cloned().unwrap_or_default();
                if let Some(title) = title {
                    t.title = title;
                }
                if let Some(description) = description {
                    t.description = description;
                }
                for (field, label) in parse_pairs(&labels, "label")? {
                    t.labels.insert(field, label);
                }
                d = catalog.set_translation(portal.id, &id, lang, t).await?;
            }
            match d.metas.translations.get(lang.code()) {
                None => println!("  no translation into {}", lang.code()),
                Some(t) => {
                    println!("  title        {}", t.title);
                    println!("  description  {}", t.description.replace('\n', " "));
                    for (field, label) in &t.labels {
                        println!("  {field:<28} {label}");
                    }
                }
            }
        }
        DatasetCommand::Schema { portal, id, types, labels } => {
            let portal = portal_of(portal).await?;
            let mut changes: BTreeMap<String, FieldOverride> = BTreeMap::new();
            for (field, t) in parse_pairs(&types, "type")? {
                let t: FieldType = t.parse().map_err(Failure::Input)?;
                changes.entry(field).or_default().field_type = Some(t);
            }
            for (field, label) in parse_pairs(&labels, "label")? {
                changes.entry(field).or_default().label = Some(label);
            }
            if changes.is_empty() {
                let d = catalog.dataset(portal.id, &id).await?;
                let current =
                    catalog.current(&d).await?.ok_or_else(|| Failure::Input(format!("`{id}` has no data yet")))?;
                println!(
                    "{id} version {} ({} rows, source {})",
                    current.version.version, current.version.rows, current.version.source_name
                );
                print_schema(&current.version.schema);
            } else {
                let (progress, bar) = progress_bar();
                let result = catalog.set_overrides(portal.id, &id, changes, progress).await;
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                let out = result?;
                for w in &out.warnings {
                    eprintln!("warning: {w}");
                }
                println!("re-processed {id} as version {}: {} rows", out.version, out.rows);
                print_schema(&out.schema);
            }
        }
    }
    Ok(())
}
