//! Jinja templates embedded in the binary, with `t(key, **args)` for translated strings.

use crate::i18n::I18n;
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, State};
use portail_core::Lang;
use std::sync::Arc;

/// The consent UI: its sources are part of the UI version hash (REC-4).
pub const CONSENT_TEMPLATES: [(&str, &str); 3] = [
    ("banner.html", include_str!("../templates/banner.html")),
    ("consent.html", include_str!("../templates/consent.html")),
    ("placeholder.html", include_str!("../templates/placeholder.html")),
];

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("policy.html", include_str!("../templates/policy.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("backoffice.html", include_str!("../templates/backoffice.html")),
    ("backoffice_datasets.html", include_str!("../templates/backoffice_datasets.html")),
    ("back_nav.html", include_str!("../templates/back_nav.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("unknown_host.html", include_str!("../templates/unknown_host.html")),
    ("page.html", include_str!("../templates/page.html")),
    ("backoffice_privacy.html", include_str!("../templates/backoffice_privacy.html")),
    ("backoffice_audience.html", include_str!("../templates/backoffice_audience.html")),
    ("explore.html", include_str!("../templates/explore.html")),
    ("backoffice_apikeys.html", include_str!("../templates/backoffice_apikeys.html")),
    ("dataset.html", include_str!("../templates/dataset.html")),
    ("dataset_tabs.html", include_str!("../templates/dataset_tabs.html")),
    ("embed.html", include_str!("../templates/embed.html")),
    ("backoffice_pages.html", include_str!("../templates/backoffice_pages.html")),
    ("backoffice_page_edit.html", include_str!("../templates/backoffice_page_edit.html")),
    ("backoffice_dataset_metadata.html", include_str!("../templates/backoffice_dataset_metadata.html")),
    ("backoffice_dataset_fields.html", include_str!("../templates/backoffice_dataset_fields.html")),
    ("backoffice_dataset_delete.html", include_str!("../templates/backoffice_dataset_delete.html")),
];

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new(i18n: Arc<I18n>) -> Result<Templates, String> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES.iter().chain(CONSENT_TEMPLATES.iter()) {
            env.add_template(name, source).map_err(|e| format!("template {name}: {e}"))?;
        }
        env.add_function("t", move |state: &State, key: String, kwargs: Kwargs| -> Result<String, Error> {
            let lang =
                state.lookup("lang").and_then(|v| v.as_str().and_then(|s| s.parse::<Lang>().ok())).unwrap_or(Lang::En);
            let mut args = vec![];
            for name in kwargs.args() {
                let value: Value = kwargs.get(name)?;
                args.push((name, value.to_string()));
            }
            kwargs.assert_all_used()?;
            Ok(i18n.text(lang, &key, &args))
        });
        Ok(Templates { env })
    }

    pub fn render(&self, name: &str, ctx: serde_json::Value) -> Result<String, Error> {
        self.env.get_template(name)?.render(ctx)
    }
}
