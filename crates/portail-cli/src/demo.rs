//! `portail demo`: the five portals of the seed cookie policies, each with an administrator.
//! Idempotent: what exists is left as it is (passwords included), what is missing is created.

use crate::commands::{now, open_store};
use crate::config::Config;
use crate::demo_data::{self, Place};
use crate::serve::serve_with;
use crate::Failure;
use portail_catalog::{no_progress, Catalog, ImportRequest};
use portail_core::{Lang, Localized, Role};
use portail_ingest::SourceOptions;
use portail_store::privacy::{ContentPage, IntegrationConfig, VendorCookie};
use portail_store::{MetadataStore, NewPortal};
use portail_web::content::{paragraphs, prepare, Embeddable};
use rand::Rng;
use std::sync::Arc;

pub struct DemoPortal {
    pub place: Place,
    pub datasets: &'static [DemoDataset],
    pub slug: &'static str,
    pub name: &'static str,
    pub default_lang: Lang,
    pub domains: &'static [&'static str],
    pub description_en: &'static str,
    pub description_fr: &'static str,
}

pub const DEMO_PORTALS: &[DemoPortal] = &[
    DemoPortal {
        place: Place { towns: &["Grenoble", "Échirolles", "Saint-Martin-d'Hères", "Meylan", "Voiron", "Vienne"], lat: 45.1885, lon: 5.7245 },
        datasets: &[DemoDataset { id: "ecoles-equipees", title: "Écoles équipées (TNE)", kind: Kind::Schools, restricted: false }, DemoDataset { id: "equipements-numeriques", title: "Équipements numériques des établissements", kind: Kind::Facilities(20_000), restricted: false }, DemoDataset { id: "qualite-de-l-air", title: "Qualité de l'air près des écoles", kind: Kind::AirQuality, restricted: false }, DemoDataset { id: "demandes-internes", title: "Demandes internes", kind: Kind::Requests, restricted: true }],
        slug: "tneacademiegrenoble",
        name: "TNE Académie de Grenoble",
        default_lang: Lang::En,
        domains: &[],
        description_en: "Open data of the Territoires Numériques Éducatifs programme in the Grenoble academy: digital equipment of schools, training of teachers and use of educational resources.",
        description_fr: "Données ouvertes du programme Territoires Numériques Éducatifs dans l'académie de Grenoble : équipement numérique des écoles, formation des enseignants et usage des ressources pédagogiques.",
    },
    DemoPortal {
        place: Place { towns: &["Saint-Mandé", "Vincennes", "Paris 12e", "Montreuil", "Fontenay-sous-Bois"], lat: 48.8417, lon: 2.4167 },
        datasets: &[DemoDataset { id: "equipements-municipaux", title: "Équipements municipaux", kind: Kind::BigFacilities, restricted: false }, DemoDataset { id: "budget-primitif", title: "Budget primitif par chapitre", kind: Kind::Budget, restricted: false }, DemoDataset { id: "evenements", title: "Agenda des événements", kind: Kind::Events, restricted: false }, DemoDataset { id: "parcs-et-jardins", title: "Parcs et jardins", kind: Kind::Parks, restricted: false }, DemoDataset { id: "patrimoine", title: "Patrimoine de la ville", kind: Kind::Heritage, restricted: false }, DemoDataset { id: "demandes-internes", title: "Demandes des habitants (suivi interne)", kind: Kind::Requests, restricted: true }],
        slug: "saintmande",
        name: "Saint-Mandé",
        default_lang: Lang::En,
        domains: &[],
        description_en: "The open data portal of the town of Saint-Mandé: municipal facilities, budget, events and the life of the town.",
        description_fr: "Le portail de données ouvertes de la ville de Saint-Mandé : équipements municipaux, budget, événements et vie de la commune.",
    },
    DemoPortal {
        place: Place { towns: &["Grigny", "Viry-Châtillon", "Ris-Orangis", "Fleury-Mérogis", "Évry-Courcouronnes"], lat: 48.6544, lon: 2.3925 },
        datasets: &[DemoDataset { id: "ecoles", title: "Écoles et collèges", kind: Kind::Schools, restricted: false }, DemoDataset { id: "budget", title: "Budget de la ville", kind: Kind::Budget, restricted: false }, DemoDataset { id: "parcs-et-jardins", title: "Parcs et jardins", kind: Kind::Parks, restricted: false }, DemoDataset { id: "equipements", title: "Équipements publics", kind: Kind::Facilities(20_000), restricted: false }, DemoDataset { id: "demandes-internes", title: "Signalements (suivi interne)", kind: Kind::Requests, restricted: true }],
        slug: "grigny91",
        name: "Ville de Grigny",
        default_lang: Lang::Fr,
        domains: &["data.grigny91.fr", "www.data.grigny91.fr"],
        description_en: "Open data of the town of Grigny (Essonne): schools, public facilities, urban renewal and local services.",
        description_fr: "Les données ouvertes de la ville de Grigny (Essonne) : écoles, équipements publics, renouvellement urbain et services de proximité.",
    },
    DemoPortal {
        place: Place { towns: &["Rouen", "Caen", "Le Havre", "Évreux", "Cherbourg-en-Cotentin", "Alençon"], lat: 49.4431, lon: 1.0993 },
        datasets: &[DemoDataset { id: "etablissements", title: "Établissements scolaires", kind: Kind::Schools, restricted: false }, DemoDataset { id: "qualite-de-l-air", title: "Qualité de l'air près des établissements", kind: Kind::AirQuality, restricted: false }, DemoDataset { id: "evenements", title: "Événements éducatifs", kind: Kind::Events, restricted: false }, DemoDataset { id: "demandes-internes", title: "Demandes internes", kind: Kind::Requests, restricted: true }],
        slug: "normandie",
        name: "Académie de Normandie",
        default_lang: Lang::Fr,
        domains: &["data.normandie.education.gouv.fr"],
        description_en: "Open data of the Normandy academy: schools and their pupils, exam results, staff and educational programmes.",
        description_fr: "Les données ouvertes de l'académie de Normandie : établissements et effectifs, résultats aux examens, personnels et dispositifs pédagogiques.",
    },
    DemoPortal {
        place: Place { towns: &["Nantes", "Angers", "Le Mans", "Saint-Nazaire", "La Roche-sur-Yon", "Laval"], lat: 47.2184, lon: -1.5536 },
        datasets: &[DemoDataset { id: "etablissements", title: "Établissements scolaires", kind: Kind::Schools, restricted: false }, DemoDataset { id: "budget", title: "Budget académique", kind: Kind::Budget, restricted: false }, DemoDataset { id: "equipements", title: "Équipements sportifs des établissements", kind: Kind::Facilities(20_000), restricted: false }, DemoDataset { id: "demandes-internes", title: "Demandes internes", kind: Kind::Requests, restricted: true }],
        slug: "paysdelaloire",
        name: "Académie de Nantes – Pays de la Loire",
        default_lang: Lang::Fr,
        domains: &["data.pays-de-la-loire.education.gouv.fr"],
        description_en: "Open data of the Nantes academy in the Pays de la Loire region: schools, enrolment, results and educational offer.",
        description_fr: "Les données ouvertes de l'académie de Nantes en Pays de la Loire : établissements, effectifs, résultats et offre de formation.",
    },
];

/// What kind of source file a demo dataset is made from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The large one (rows set by `--rows`, 120,000 by default).
    BigFacilities,
    Facilities(usize),
    Budget,
    Schools,
    AirQuality,
    Parks,
    Events,
    Requests,
    /// A ZIP archive: a CSV and the photos and leaflets it names (`file` fields).
    Heritage,
}

pub struct DemoDataset {
    pub id: &'static str,
    pub title: &'static str,
    pub kind: Kind,
    pub restricted: bool,
}

pub const DEFAULT_BIG_ROWS: usize = 120_000;

/// Writes a dataset's source file into `dir` and returns its path.
fn write_source(
    dir: &std::path::Path,
    d: &DemoDataset,
    place: &Place,
    seed: u64,
    big_rows: usize,
) -> Result<std::path::PathBuf, Failure> {
    let io = |e: std::io::Error| Failure::Runtime(e.into());
    let path = |ext: &str| dir.join(format!("{}.{ext}", d.id));
    Ok(match d.kind {
        Kind::BigFacilities | Kind::Facilities(_) => {
            let rows = if let Kind::Facilities(n) = d.kind { n.min(big_rows) } else { big_rows };
            let p = path("csv");
            demo_data::equipements(&p, rows, place, seed).map_err(io)?;
            p
        }
        Kind::Budget => {
            let p = path("csv");
            demo_data::budget(&p, seed).map_err(io)?;
            p
        }
        Kind::Schools => {
            let p = path("csv");
            demo_data::schools(&p, place, seed).map_err(io)?;
            p
        }
        Kind::AirQuality => {
            let p = path("xlsx");
            demo_data::air_quality(&p, place, seed).map_err(|e| Failure::Runtime(anyhow::anyhow!(e)))?;
            p
        }
        Kind::Parks => {
            let p = path("geojson");
            demo_data::parks(&p, place, seed).map_err(io)?;
            p
        }
        Kind::Events => {
            let p = path("json");
            demo_data::events(&p, place, seed).map_err(io)?;
            p
        }
        Kind::Requests => {
            let p = path("csv");
            demo_data::internal_requests(&p, place, seed).map_err(io)?;
            p
        }
        Kind::Heritage => {
            let p = path("zip");
            demo_data::heritage(&p, place, seed).map_err(io)?;
            p
        }
    })
}

/// What a publisher would have filled in for a demo dataset: a theme by kind, keywords, the
/// French open licence most French portals use, the portal's organisation as publisher.
fn demo_information(
    d: &DemoDataset,
    demo: &DemoPortal,
    schema: &portail_core::Schema,
) -> portail_catalog::MetadataForm {
    let (theme, keyword) = match d.kind {
        Kind::BigFacilities | Kind::Facilities(_) => ("Équipements, Services", "équipements, services publics"),
        Kind::Budget => ("Finances", "budget, finances publiques"),
        Kind::Schools => ("Éducation", "écoles, établissements scolaires"),
        Kind::AirQuality => ("Environnement, Santé", "qualité de l'air, pollution"),
        Kind::Parks => ("Environnement", "espaces verts, parcs"),
        Kind::Events => ("Culture", "agenda, événements"),
        Kind::Requests => ("Services", "demandes, suivi"),
        Kind::Heritage => ("Culture, Patrimoine", "patrimoine, monuments"),
    };
    let restricted = d.restricted;
    // The fields a publisher would filter on, where the demo file has them.
    let facets = [
        "commune",
        "category",
        "equipment",
        "section",
        "chapitre",
        "type",
        "secteur",
        "jeux_enfants",
        "status",
        "statut",
        "categorie",
        "siecle",
    ]
    .iter()
    .filter(|f| schema.field(f).is_some())
    .map(|f| f.to_string())
    .collect();
    portail_catalog::MetadataForm {
        title: d.title.to_owned(),
        description: String::new(),
        theme: theme.to_owned(),
        keyword: keyword.to_owned(),
        license: if restricted { String::new() } else { "Licence Ouverte v2.0 (Etalab)".to_owned() },
        license_url: if restricted {
            String::new()
        } else {
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/".to_owned()
        },
        publisher: demo.name.to_owned(),
        facets,
    }
}

/// The events' audiences hold several values (`Familles, Jeunes`) and their themes are paths
/// (`Culture/Musique`): both are facets, the audience disjunctive.
fn event_annotations() -> std::collections::BTreeMap<String, portail_core::Annotations> {
    use portail_core::Annotations;
    let audience = Annotations { facet: true, disjunctive: true, multivalued: Some(','), ..Default::default() };
    let theme = Annotations { facet: true, hierarchical: Some('/'), ..Default::default() };
    [("public".to_owned(), audience), ("thematique".to_owned(), theme)].into()
}

/// Imports the demo datasets a portal does not have yet, through the ordinary import path.
pub async fn ensure_datasets(
    catalog: &Catalog,
    demo: &DemoPortal,
    portal_id: i64,
    big_rows: usize,
) -> Result<usize, Failure> {
    let dir = catalog.uploads_dir().join("demo");
    std::fs::create_dir_all(&dir).map_err(|e| Failure::Runtime(e.into()))?;
    let mut created = 0;
    for (i, d) in demo.datasets.iter().enumerate() {
        if catalog.store.dataset(portal_id, d.id).await?.is_some() {
            continue;
        }
        let seed = 42 + portal_id as u64 * 100 + i as u64;
        let file = write_source(&dir, d, &demo.place, seed, big_rows)?;
        let req = ImportRequest {
            portal_id,
            dataset_id: Some(d.id.to_owned()),
            title: Some(d.title.to_owned()),
            file: file.clone(),
            source: SourceOptions::default(),
            publish: true,
        };
        catalog.import(req, no_progress()).await?;
        let record = catalog.dataset(portal_id, d.id).await?;
        let schema = catalog.current(&record).await?.map(|c| c.version.schema).unwrap_or_default();
        catalog.set_metadata(portal_id, d.id, &demo_information(d, demo, &schema)).await?;
        if d.kind == Kind::Events {
            catalog.set_annotations(portal_id, d.id, &event_annotations()).await?;
        }
        if d.restricted {
            let record = catalog.dataset(portal_id, d.id).await?;
            catalog.store.set_restricted(&record.uid, true, now()).await?;
        }
        let _ = std::fs::remove_file(file);
        created += 1;
    }
    Ok(created)
}

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
    /// Demo datasets imported by this run.
    pub datasets: usize,
}

/// Where the demo's video integration loads from (FIX-1); tests point it at a loopback host (FIX-2).
pub const DEFAULT_VIDEO_ORIGIN: &str = "https://videos.example.org";

/// Portals whose demo shows a video behind a consent placeholder (FIX-1).
const VIDEO_PORTALS: [&str; 2] = ["saintmande", "grigny91"];

/// FIX-1: a video integration and a content page embedding one video, on two portals.
async fn ensure_video(store: &dyn MetadataStore, portal_id: i64, origin: &str) -> Result<(), Failure> {
    let host = portail_web::privacy::integrations::origin_host(origin).to_owned();
    let settings = store.privacy_settings(portal_id).await?;
    if !settings.integrations.iter().any(|i| i.kind == "video" && i.origin == origin) {
        let integration = IntegrationConfig {
            kind: "video".into(),
            vendor: "PeerTube".into(),
            origin: origin.to_owned(),
            privacy_url: format!("{origin}/about/instance#privacy"),
            cookies: vec![VendorCookie {
                name: "vendor_session".into(),
                domain: host,
                max_age_s: 86_400,
                purpose: Localized::new(
                    "Remembers the video player's settings",
                    "Mémoriser les réglages du lecteur vidéo",
                ),
            }],
            enabled_at: now(),
            resource: String::new(),
        };
        store.put_integration(portal_id, &integration, now()).await?;
    }
    // Kept as an editor left it, unless it embeds a video origin of an earlier run.
    if let Some(page) = store.page(portal_id, "presentation").await? {
        if page.body.en.contains(origin) {
            return Ok(());
        }
    }
    // Written as an editor would, then stored the way the back office stores it (TP-6).
    let video = [Embeddable { key: "video".into(), origin: origin.to_owned() }];
    let body = |text: &str| {
        let html = format!(
            "{}<iframe src=\"{origin}/videos/embed/portail-demo\" width=\"560\" height=\"315\"></iframe>",
            paragraphs(text)
        );
        prepare(&html, &video, "").0
    };
    let page = ContentPage {
        slug: "presentation".into(),
        title: Localized::new("The portal in video", "Le portail en vidéo"),
        body: Localized::new(
            body("A short video presents the portal and how to reuse its data.\n\nThe video is hosted by an external platform: it loads only if you allow it."),
            body("Une courte vidéo présente le portail et la manière de réutiliser ses données.\n\nLa vidéo est hébergée par une plateforme externe : elle ne se charge que si vous l'autorisez."),
        ),
        updated_at: now(),
    };
    store.put_page(portal_id, &page).await?;
    Ok(())
}

pub async fn ensure(
    store: &dyn MetadataStore,
    catalog: &Catalog,
    big_rows: usize,
    video_origin: &str,
) -> Result<Vec<DemoLine>, Failure> {
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
        if VIDEO_PORTALS.contains(&demo.slug) {
            ensure_video(store, portal.id, video_origin).await?;
        }
        let datasets = ensure_datasets(catalog, demo, portal.id, big_rows).await?;
        lines.push(DemoLine { slug: demo.slug, email, password, datasets });
    }
    Ok(lines)
}

pub async fn run(config: &Config, big_rows: usize, video_origin: &str) -> Result<(), Failure> {
    let video_origin = portail_web::privacy::integrations::validate_origin(video_origin)
        .map_err(|e| Failure::Input(format!("--video-origin: {e}")))?;
    let store = Arc::new(open_store(config).await?);
    let catalog = Catalog::new(store.clone(), &config.data_dir);
    eprintln!("preparing the demo platform in {} …", config.data_dir.display());
    let lines = ensure(store.as_ref(), &catalog, big_rows, &video_origin).await?;
    let port = config.listen.port();
    println!("portail demo — {} portals in {}", lines.len(), config.data_dir.display());
    for line in &lines {
        let url = format!("http://{}.{}:{port}/", line.slug, config.web.base_domain);
        match &line.password {
            Some(pw) => println!("  {url:<48} admin: {}  password: {pw}", line.email),
            None => println!("  {url:<48} admin: {}  (password set earlier, not shown again)", line.email),
        }
    }
    let imported: usize = lines.iter().map(|l| l.datasets).sum();
    if imported > 0 {
        println!("Imported {imported} demo datasets (one per portal is restricted to signed-in users).");
    }
    println!("Sign in at /login/ on each portal, then open /backoffice/.");
    serve_with(config, store).await
}
