//! Source files of the demo datasets, generated deterministically (same bytes on every machine)
//! and in the shapes publishers really send: a large UTF-8 `;` CSV, a Windows-1252 CSV with
//! decimal commas and French dates, a comma CSV with latitude/longitude columns, an XLSX
//! workbook, a GeoJSON FeatureCollection, a JSON array and a ZIP of a CSV with its photos.

use std::fmt::Write as _;
use std::path::Path;

/// A small deterministic generator (SplitMix64): the demo needs no statistical quality.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const CATEGORIES: &[(&str, u32)] = &[
    ("Culture", 18),
    ("Sport", 15),
    ("Éducation", 13),
    ("Environnement", 11),
    ("Transports", 9),
    ("Santé", 8),
    ("Social", 7),
    ("Urbanisme", 6),
    ("Économie", 5),
    ("Tourisme", 4),
    ("Sécurité", 2),
    ("Administration", 2),
];
const KINDS: &[&str] = &[
    "Piscine",
    "Bibliothèque",
    "Gymnase",
    "École élémentaire",
    "Crèche",
    "Parc",
    "Jardin partagé",
    "Musée",
    "Théâtre",
    "Stade",
    "Médiathèque",
    "Centre social",
    "Parking",
    "Station vélo",
    "Borne de recharge",
    "Marché couvert",
    "Salle polyvalente",
    "Conservatoire",
    "Maison de santé",
    "Fontaine",
    "Aire de jeux",
    "Collège",
];
const NAMES: &[&str] = &[
    "du Centre",
    "de quartier",
    "Nord",
    "Sud",
    "des Lilas",
    "Jean-Jaurès",
    "Victor-Hugo",
    "Pasteur",
    "de la Gare",
    "du Château",
    "des Écoles",
    "Émile-Zola",
    "Louise-Michel",
    "Marie-Curie",
    "Aimé-Césaire",
];
const WORDS: &[&str] = &[
    "service",
    "public",
    "accès",
    "horaires",
    "ouverture",
    "quartier",
    "gratuit",
    "accessible",
    "travaux",
    "rénovation",
    "enfants",
    "familles",
    "association",
    "jardin",
    "sport",
    "culture",
    "lecture",
    "numérique",
    "atelier",
    "santé",
    "vélo",
    "stationnement",
    "éclairage",
    "énergie",
    "tri",
    "compost",
    "biodiversité",
    "patrimoine",
    "marché",
    "inscription",
    "tarif",
    "vacances",
    "lavoir",
    "fontaine",
    "accueil",
    "handicap",
];
const STREETS: &[&str] = &[
    "rue de la République",
    "avenue du Général-de-Gaulle",
    "place de la Mairie",
    "rue Pasteur",
    "boulevard Victor-Hugo",
    "allée des Tilleuls",
];

/// Where a portal's demo data lies.
pub struct Place {
    pub towns: &'static [&'static str],
    pub lat: f64,
    pub lon: f64,
}

fn weighted<'a>(rng: &mut Rng, items: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut x = (rng.unit() * f64::from(total)) as u32;
    for (v, w) in items {
        if x < *w {
            return v;
        }
        x -= w;
    }
    items[0].0
}

fn date(days_since_2015: i64) -> (i64, u32, u32) {
    // 2015-01-01 is day 16436 since the epoch.
    let (y, m, d) = portail_ingest::values::civil_from_days((16_436 + days_since_2015) as i32);
    (i64::from(y), m, d)
}

/// Municipal facilities, like the benchmark's `equipements`: UTF-8, `;`, ISO dates, points.
pub fn equipements(path: &Path, rows: usize, place: &Place, seed: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut rng = Rng::new(seed);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "id;commune;category;equipment;capacity;amount;event_date;updated_at;geo_point_2d;description")?;
    for id in 1..=rows {
        let town = *rng.pick(place.towns);
        let category = weighted(&mut rng, CATEGORIES);
        let equipment = format!("{} {}", rng.pick(KINDS), rng.pick(NAMES));
        let capacity = (50_000.0 * rng.unit().powi(4)) as i64;
        let amount = if rng.unit() < 0.02 { String::new() } else { format!("{:.2}", 10f64.powf(6.0 * rng.unit())) };
        let (y, m, d) = date(rng.below(3653) as i64);
        let (uy, um, ud) = date(rng.below(3653) as i64);
        let secs = rng.below(86_400);
        let (lat, lon) = (place.lat + (rng.unit() - 0.5) * 0.2, place.lon + (rng.unit() - 0.5) * 0.3);
        let mut description = String::new();
        for i in 0..5 + rng.below(10) {
            let w = *rng.pick(WORDS);
            if i == 0 {
                let mut c = w.chars();
                let first = c.next().map(|f| f.to_uppercase().collect::<String>()).unwrap_or_default();
                description.push_str(&first);
                description.push_str(c.as_str());
            } else {
                description.push(' ');
                description.push_str(w);
            }
        }
        writeln!(
            out,
            "{id};{town};{category};{equipment};{capacity};{amount};{y:04}-{m:02}-{d:02};{uy:04}-{um:02}-{ud:02}T{:02}:{:02}:{:02}+00:00;{lat:.5},{lon:.5};{description}.",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
    }
    out.flush()
}

/// A budget as French accounting software exports it: Windows-1252, `;`, decimal commas,
/// `dd/mm/yyyy`, CRLF line ends.
pub fn budget(path: &Path, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    let chapters = [
        ("011", "Charges à caractère général"),
        ("012", "Charges de personnel et frais assimilés"),
        ("65", "Autres charges de gestion courante"),
        ("66", "Charges financières"),
        ("70", "Produits des services, du domaine et ventes"),
        ("73", "Impôts et taxes"),
        ("74", "Dotations, subventions et participations"),
        ("21", "Immobilisations corporelles"),
        ("23", "Immobilisations en cours"),
    ];
    let mut text = String::from("Exercice;Section;Chapitre;Libellé du chapitre;Montant voté (€);Montant réalisé (€);Taux de réalisation;Date du vote\r\n");
    for year in 2019..=2024 {
        for (code, label) in chapters {
            let section = if code.starts_with('2') { "Investissement" } else { "Fonctionnement" };
            let voted = 10_000.0 + rng.unit() * 4_000_000.0;
            let done = voted * (0.7 + rng.unit() * 0.35);
            let fr = |x: f64| format!("{x:.2}").replace('.', ",");
            let _ = write!(
                text,
                "{year};{section};{code};{label};{};{};{};{:02}/{:02}/{year}\r\n",
                fr(voted),
                fr(done),
                format!("{:.1}", done / voted * 100.0).replace('.', ","),
                10 + rng.below(18),
                3 + rng.below(2)
            );
        }
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    std::fs::write(path, bytes)
}

/// Schools with a latitude/longitude pair, comma-separated with quoted names.
pub fn schools(path: &Path, place: &Place, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    let kinds = [
        ("École maternelle", 120),
        ("École élémentaire", 250),
        ("Collège", 600),
        ("Lycée", 1100),
        ("Lycée professionnel", 500),
    ];
    let mut text =
        String::from("uai,nom,type,secteur,commune,adresse,latitude,longitude,effectif,ouverture,restauration\n");
    for i in 0..240 {
        let (kind, size) = kinds[rng.below(kinds.len())];
        let town = *rng.pick(place.towns);
        let name = format!(
            "{kind} {}",
            rng.pick(NAMES).trim_start_matches("du ").trim_start_matches("de la ").trim_start_matches("des ")
        );
        let _ = writeln!(
            text,
            "0{:06}{},\"{name}\",{kind},{},{town},\"{} {}\",{:.6},{:.6},{},{}-09-0{},{}",
            910_000 + i * 37,
            (b'A' + (i % 26) as u8) as char,
            if rng.unit() < 0.8 { "Public" } else { "Privé sous contrat" },
            1 + rng.below(120),
            rng.pick(STREETS),
            place.lat + (rng.unit() - 0.5) * 0.15,
            place.lon + (rng.unit() - 0.5) * 0.2,
            size / 2 + rng.below(size),
            1960 + rng.below(60),
            1 + rng.below(5),
            rng.unit() < 0.7
        );
    }
    std::fs::write(path, text)
}

/// Daily air quality measures per station, as an XLSX workbook (a notes sheet first).
pub fn air_quality(path: &Path, place: &Place, seed: u64) -> Result<(), String> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut rng = Rng::new(seed);
    let mut wb = Workbook::new();
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet().set_name("Mesures").map_err(e)?;
    for (c, h) in
        ["Station", "Commune", "Date", "NO2 (µg/m³)", "PM10 (µg/m³)", "O3 (µg/m³)", "Indice ATMO", "Dépassement"]
            .iter()
            .enumerate()
    {
        ws.write_string(0, c as u16, *h).map_err(e)?;
    }
    let stations = ["Centre-ville", "Gare", "Parc", "Périphérie", "Zone industrielle"];
    let mut row = 1u32;
    for day in 0..365u32 {
        let (y, m, d) = date(3287 + i64::from(day)); // 2024
        for station in stations {
            let no2 = 10.0 + rng.unit() * 60.0;
            let pm10 = 5.0 + rng.unit() * 45.0;
            ws.write_string(row, 0, station).map_err(e)?;
            ws.write_string(row, 1, *rng.pick(place.towns)).map_err(e)?;
            let date = ExcelDateTime::from_ymd(y as u16, m as u8, d as u8).map_err(e)?;
            ws.write_datetime_with_format(row, 2, date, &date_format).map_err(e)?;
            ws.write_number(row, 3, (no2 * 10.0).round() / 10.0).map_err(e)?;
            ws.write_number(row, 4, (pm10 * 10.0).round() / 10.0).map_err(e)?;
            ws.write_number(row, 5, (20.0 + rng.unit() * 90.0).round()).map_err(e)?;
            ws.write_number(row, 6, (1 + rng.below(6)) as f64).map_err(e)?;
            ws.write_boolean(row, 7, no2 > 60.0 || pm10 > 45.0).map_err(e)?;
            row += 1;
        }
    }
    let notes = wb.add_worksheet().set_name("Notes").map_err(e)?;
    notes.write_string(0, 0, "Source : réseau de mesure de la qualité de l'air, données validées.").map_err(e)?;
    wb.save(path).map_err(e)
}

/// Parks and gardens as a GeoJSON FeatureCollection of polygons and points.
pub fn parks(path: &Path, place: &Place, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    let mut features = vec![];
    for i in 0..60 {
        let (lat, lon) = (place.lat + (rng.unit() - 0.5) * 0.12, place.lon + (rng.unit() - 0.5) * 0.18);
        let kind = ["Parc", "Square", "Jardin partagé", "Espace vert", "Bois"][rng.below(5)];
        let name = format!("{kind} {}", rng.pick(NAMES));
        let geometry = if i % 3 == 0 {
            serde_json::json!({"type": "Point", "coordinates": [lon, lat]})
        } else {
            let (dx, dy) = (0.001 + rng.unit() * 0.004, 0.001 + rng.unit() * 0.003);
            serde_json::json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + dx, lat], [lon + dx, lat + dy], [lon, lat + dy], [lon, lat]]]})
        };
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": {
                "nom": name,
                "commune": rng.pick(place.towns),
                "surface_m2": (500.0 + rng.unit() * 80_000.0).round(),
                "jeux_enfants": rng.unit() < 0.5,
                "horaires": if rng.unit() < 0.3 { "Ouvert en permanence" } else { "8h-20h (19h en hiver)" },
            },
            "geometry": geometry,
        }));
    }
    std::fs::write(
        path,
        serde_json::to_string_pretty(&serde_json::json!({"type": "FeatureCollection", "features": features}))?,
    )
}

/// Events as a JSON array.
pub fn events(path: &Path, place: &Place, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    // Each title with its theme, a path of levels (the field is annotated hierarchical).
    let titles = [
        ("Fête de la musique", "Culture/Musique"),
        ("Marché de Noël", "Vie locale/Marchés"),
        ("Forum des associations", "Vie locale/Associations"),
        ("Journées du patrimoine", "Culture/Patrimoine"),
        ("Cinéma en plein air", "Culture/Cinéma"),
        ("Vide-grenier", "Vie locale/Marchés"),
        ("Conseil municipal", "Citoyenneté/Conseil municipal"),
        ("Atelier numérique", "Éducation/Numérique"),
        ("Course solidaire", "Sport/Course à pied"),
    ];
    let publics = ["Tout public", "Familles", "Jeunes", "Seniors"];
    let mut items = vec![];
    for _ in 0..300 {
        let (y, m, d) = date(3287 + rng.below(730) as i64);
        let (title, theme) = titles[rng.below(titles.len())];
        // One or two audiences in one cell (the field is annotated multivalued).
        let first = rng.below(publics.len());
        let audience = match rng.unit() < 0.4 {
            true => {
                format!("{}, {}", publics[first], publics[(first + 1 + rng.below(publics.len() - 1)) % publics.len()])
            }
            false => publics[first].to_owned(),
        };
        items.push(serde_json::json!({
            "titre": title,
            "thematique": theme,
            "date": format!("{y:04}-{m:02}-{d:02}"),
            "heure": format!("{:02}:{:02}", 9 + rng.below(12), [0, 15, 30, 45][rng.below(4)]),
            "lieu": format!("{}, {}", rng.pick(STREETS), rng.pick(place.towns)),
            "gratuit": rng.unit() < 0.7,
            "places": 20 + rng.below(800),
            "public": audience,
        }));
    }
    std::fs::write(path, serde_json::to_string_pretty(&items)?)
}

/// Internal requests from residents: the dataset each demo portal restricts to its users.
pub fn internal_requests(path: &Path, place: &Place, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    let topics = ["Voirie", "Éclairage public", "Propreté", "Espaces verts", "Stationnement", "Bruit"];
    let status = ["Reçue", "En cours", "Traitée", "Close"];
    let mut text = String::from("numero;date_de_reception;thematique;commune;statut;delai_jours\n");
    for i in 1..=500 {
        let (y, m, d) = date(3287 + rng.below(365) as i64);
        let _ = writeln!(
            text,
            "D-{i:05};{d:02}/{m:02}/{y};{};{};{};{}",
            rng.pick(&topics),
            rng.pick(place.towns),
            rng.pick(&status),
            rng.below(60)
        );
    }
    std::fs::write(path, text)
}

/// The town's heritage as a ZIP archive: a CSV naming, for each place, a photo (a generated PNG
/// picture) and, for some, a PDF leaflet, both inside the archive: the photo and leaflet columns
/// become `file` fields.
pub fn heritage(path: &Path, place: &Place, seed: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut rng = Rng::new(seed);
    let kinds = ["Église", "Chapelle", "Lavoir", "Fontaine", "Hôtel de ville", "Kiosque", "Maison de maître", "Statue"];
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path)?);
    let options = zip::write::SimpleFileOptions::default();
    let mut csv = String::from("nom;type;commune;siecle;latitude;longitude;photo;fiche\n");
    for i in 1..=12 {
        let kind = kinds[rng.below(kinds.len())];
        let name = format!("{kind} {}", rng.pick(NAMES));
        let (lat, lon) = (place.lat + (rng.unit() - 0.5) * 0.03, place.lon + (rng.unit() - 0.5) * 0.045);
        let century = ["XVIIe", "XVIIIe", "XIXe", "XXe"][rng.below(4)];
        let photo = format!("photos/patrimoine-{i:02}.png");
        let colour = [(rng.below(200) + 40) as u8, (rng.below(200) + 40) as u8, (rng.below(200) + 40) as u8];
        zip.start_file(photo.as_str(), options).map_err(std::io::Error::other)?;
        zip.write_all(&png(160, 120, colour))?;
        let leaflet = if i % 3 == 0 {
            let file = format!("fiche-{i:02}.pdf");
            zip.start_file(file.as_str(), options).map_err(std::io::Error::other)?;
            zip.write_all(&pdf(&name))?;
            file
        } else {
            String::new()
        };
        let _ = writeln!(csv, "{name};{kind};{};{century};{lat:.5};{lon:.5};{photo};{leaflet}", rng.pick(place.towns));
    }
    zip.start_file("patrimoine.csv", options).map_err(std::io::Error::other)?;
    zip.write_all(csv.as_bytes())?;
    zip.finish().map_err(std::io::Error::other)?;
    Ok(())
}

/// A `width` × `height` PNG picture: a vertical gradient from `colour` to white, deflated.
fn png(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
    use std::io::Write;
    let mut raw = Vec::with_capacity((width as usize * 3 + 1) * height as usize);
    for y in 0..height {
        raw.push(0); // no filter
        let t = y as f64 / height as f64;
        let pixel = colour.map(|c| (f64::from(c) + (255.0 - f64::from(c)) * t) as u8);
        for _ in 0..width {
            raw.extend_from_slice(&pixel);
        }
    }
    let mut deflated = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = deflated.write_all(&raw);
    let data = deflated.finish().unwrap_or_default();
    let chunk = |kind: &[u8], body: &[u8], out: &mut Vec<u8>| {
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        let mut crc = flate2::Crc::new();
        crc.update(&out[start..]);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    };
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = vec![];
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(b"IHDR", &header, &mut out);
    chunk(b"IDAT", &data, &mut out);
    chunk(b"IEND", &[], &mut out);
    out
}

/// A one-page PDF leaflet titled `title` (PDF 1.4, offsets computed).
fn pdf(title: &str) -> Vec<u8> {
    // Latin-1 text in a standard font; the accents of the demo's names are all in it.
    let text: String = title.chars().map(|c| if (c as u32) < 256 { c } else { '?' }).collect();
    let stream = format!("BT /F1 18 Tf 60 760 Td ({}) Tj ET", text.replace('(', "[").replace(')', "]"));
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.chars().count()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
    ];
    let mut out: Vec<u8> = b"%PDF-1.4\n".to_vec();
    let mut offsets = vec![];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend(body.chars().map(|c| c as u32 as u8));
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    out.extend(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).bytes());
    out
}
