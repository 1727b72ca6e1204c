//! `portail demo`: the five portals of the seed cookie policies, each with an administrator.
//! Idempotent: what exists is left as it is (passwords included), what is missing is created.

use crate::commands::{now, open_store};
use crate::config::Config;
use crate::serve::serve_with;
use crate::Failure;
use portail_core::{Lang, Localized, Role};
use portail_store::{MetadataStore, NewPortal};
use rand::Rng;
use std::sync::Arc;

pub struct DemoPortal {
    pub slug: &'static str,
    pub name: &'static str,
    pub default_lang: Lang,
    pub domains: &'static [&'static str],
    pub description_en: &'static str,
    pub description_fr: &'static str,
}

pub const DEMO_PORTALS: &[DemoPortal] = &[
    DemoPortal {
        slug: "tneacademiegrenoble",
        name: "TNE Académie de Grenoble",
        default_lang: Lang::En,
        domains: &[],
        description_en: "Open data of the Territoires Numériques Éducatifs programme in the Grenoble academy: digital equipment of schools, training of teachers and use of educational resources.",
        description_fr: "Données ouvertes du programme Territoires Numériques Éducatifs dans l'académie de Grenoble : équipement numérique des écoles, formation des enseignants et usage des ressources pédagogiques.",
    },
    DemoPortal {
        slug: "saintmande",
        name: "Saint-Mandé",
        default_lang: Lang::En,
        domains: &[],
        description_en: "The open data portal of the town of Saint-Mandé: municipal facilities, budget, events and the life of the town.",
        description_fr: "Le portail de données ouvertes de la ville de Saint-Mandé : équipements municipaux, budget, événements et vie de la commune.",
    },
    DemoPortal {
        slug: "grigny91",
        name: "Ville de Grigny",
        default_lang: Lang::Fr,
        domains: &["data.grigny91.fr", "www.data.grigny91.fr"],
        description_en: "Open data of the town of Grigny (Essonne): schools, public facilities, urban renewal and local services.",
        description_fr: "Les données ouvertes de la ville de Grigny (Essonne) : écoles, équipements publics, renouvellement urbain et services de proximité.",
    },
    DemoPortal {
        slug: "normandie",
        name: "Académie de Normandie",
        default_lang: Lang::Fr,
        domains: &["data.normandie.education.gouv.fr"],
        description_en: "Open data of the Normandy academy: schools and their pupils, exam results, staff and educational programmes.",
        description_fr: "Les données ouvertes de l'académie de Normandie : établissements et effectifs, résultats aux examens, personnels et dispositifs pédagogiques.",
    },
    DemoPortal {
        slug: "paysdelaloire",
        name: "Académie de Nantes – Pays de la Loire",
        default_lang: Lang::Fr,
        domains: &["data.pays-de-la-loire.education.gouv.fr"],
        description_en: "Open data of the Nantes academy in the Pays de la Loire region: schools, enrolment, results and educational offer.",
        description_fr: "Les données ouvertes de l'académie de Nantes en Pays de la Loire : établissements, effectifs, résultats et offre de formation.",
    },
];

pub fn admin_email(slug: &str) -> String {
    format!("admin@{slug}.localhost")
}

fn generate_password() -> String {
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

/// One line per portal: its URL and, when the account was created now, the admin's password.
pub struct DemoLine {
    pub slug: &'static str,
    pub email: String,
    pub password: Option<String>,
}

pub async fn ensure(store: &dyn MetadataStore) -> Result<Vec<DemoLine>, Failure> {
    let mut lines = vec![];
    for demo in DEMO_PORTALS {
        let portal = match store.portal_by_slug(demo.slug).await? {
            Some(p) => p,
            None => {
                let new = NewPortal {
                    slug: demo.slug.into(),
                    name: demo.name.into(),
                    default_lang: demo.default_lang,
                    langs: vec![Lang::En, Lang::Fr],
                    title: Localized::new(demo.name, demo.name),
                    description: Localized::new(demo.description_en, demo.description_fr),
                    domains: demo.domains.iter().map(|d| d.to_string()).collect(),
                };
                store.create_portal(&new, now()).await?
            }
        };
        let email = admin_email(demo.slug);
        let password = if store.user_by_email(portal.id, &email).await?.is_some() {
            None
        } else {
            let password = generate_password();
            let hash =
                portail_web::session::hash_password(&password).map_err(|e| Failure::Runtime(anyhow::anyhow!(e)))?;
            store.create_user(portal.id, &email, &hash, Role::Admin, now()).await?;
            Some(password)
        };
        lines.push(DemoLine { slug: demo.slug, email, password });
    }
    Ok(lines)
}

pub async fn run(config: &Config) -> Result<(), Failure> {
    let store = Arc::new(open_store(config).await?);
    let lines = ensure(store.as_ref()).await?;
    let port = config.listen.port();
    println!("portail demo — {} portals in {}", lines.len(), config.data_dir.display());
    for line in &lines {
        let url = format!("http://{}.{}:{port}/", line.slug, config.web.base_domain);
        match &line.password {
            Some(pw) => println!("  {url:<48} admin: {}  password: {pw}", line.email),
            None => println!("  {url:<48} admin: {}  (password set earlier, not shown again)", line.email),
        }
    }
    println!("Sign in at /login/ on each portal, then open /backoffice/.");
    serve_with(config, store).await
}
