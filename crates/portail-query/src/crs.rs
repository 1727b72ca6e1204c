//! Coordinate systems a geographic export can be written in (`epsg`): WGS 84 longitude/latitude,
//! as stored; Web Mercator, the web maps' plane; Lambert-93, the legal projection of
//! metropolitan France that French GIS software and the cadastre use, and its nine conic
//! conformal zones CC42–CC50 (EPSG 3942–3950) that local authorities survey in; UTM, for the
//! overseas departments' legal systems (RGAF09 UTM 20N, RGFG95 UTM 22N, RGR92 UTM 40S, RGM04
//! UTM 38S) and any WGS 84 zone (EPSG 326xx north, 327xx south). Those datums (RGF93, RGAF09…)
//! and WGS 84 differ by centimetres, so each is computed as a pure projection of the stored
//! coordinates.

use geo::{Coord, Geometry, MapCoords};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    #[default]
    Wgs84,
    WebMercator,
    Lambert93,
    /// A French conic conformal zone, CC42 to CC50, by its central latitude.
    ConicConformal(u8),
    /// Transverse Mercator zone 1–60, north or south, under the EPSG code it was asked as.
    Utm {
        zone: u8,
        south: bool,
        epsg: u32,
    },
}

/// The overseas legal systems that are UTM zones: (EPSG, zone, south, datum's ESRI name).
const OVERSEAS_UTM: [(u32, u8, bool, &str); 4] = [
    (5490, 20, false, "RGAF09"),
    (2972, 22, false, "RGFG_1995"),
    (2975, 40, true, "RGR_1992"),
    (4471, 38, true, "RGM_2004"),
];

/// Earth radius of Web Mercator, and the semi-major axis of GRS 80 and WGS 84.
const A: f64 = 6_378_137.0;
/// Latitude where Web Mercator's square world ends.
const MERCATOR_MAX_LAT: f64 = 85.051_128_779_806_6;

impl Crs {
    /// The EPSG codes portail writes, as an error message lists them.
    pub const CODES: &'static str =
        "4326 (WGS 84), 3857 (Web Mercator), 2154 (Lambert-93), 3942 to 3950 (CC42 to CC50), \
        5490, 2972, 2975, 4471 (UTM of the overseas departments), 32601 to 32660 and 32701 to 32760 (WGS 84 UTM)";

    pub fn from_epsg(code: u32) -> Option<Crs> {
        match code {
            4326 => Some(Crs::Wgs84),
            3857 | 900_913 => Some(Crs::WebMercator),
            2154 => Some(Crs::Lambert93),
            3942..=3950 => Some(Crs::ConicConformal((code - 3900) as u8)),
            32601..=32660 => Some(Crs::Utm { zone: (code - 32600) as u8, south: false, epsg: code }),
            32701..=32760 => Some(Crs::Utm { zone: (code - 32700) as u8, south: true, epsg: code }),
            _ => OVERSEAS_UTM.iter().find(|(c, ..)| *c == code).map(|&(epsg, zone, south, _)| Crs::Utm {
                zone,
                south,
                epsg,
            }),
        }
    }

    pub fn epsg(self) -> u32 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::WebMercator => 3857,
            Crs::Lambert93 => 2154,
            Crs::ConicConformal(zone) => 3900 + u32::from(zone),
            Crs::Utm { epsg, .. } => epsg,
        }
    }

    /// A stored (longitude, latitude) in this system.
    pub fn project(self, c: Coord) -> Coord {
        match self {
            Crs::Wgs84 => c,
            Crs::WebMercator => {
                let lat = c.y.clamp(-MERCATOR_MAX_LAT, MERCATOR_MAX_LAT).to_radians();
                Coord { x: A * c.x.to_radians(), y: A * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() }
            }
            Crs::Lambert93 => Lcc::LAMBERT_93.project(c),
            Crs::ConicConformal(zone) => Lcc::conic_conformal(zone).project(c),
            Crs::Utm { zone, south, .. } => utm(c, zone, south),
        }
    }

    pub fn geometry(self, g: &Geometry) -> Geometry {
        match self {
            Crs::Wgs84 => g.clone(),
            _ => g.map_coords(|c| self.project(c)),
        }
    }

    /// The `.prj` of a shapefile in this system (ESRI's WKT, which GIS software reads).
    pub fn prj(self) -> String {
        const GRS80: &str = "SPHEROID[\"GRS_1980\",6378137.0,298.257222101]";
        const WGS84: &str = "SPHEROID[\"WGS_1984\",6378137.0,298.257223563]";
        let geogcs = |name: &str, spheroid: &str| {
            format!("GEOGCS[\"GCS_{name}\",DATUM[\"D_{name}\",{spheroid}],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]")
        };
        let parameters = |list: &[(&str, f64)]| {
            list.iter().map(|(k, v)| format!("PARAMETER[\"{k}\",{v:?}]")).collect::<Vec<_>>().join(",")
        };
        match self {
            Crs::ConicConformal(zone) => {
                let lcc = Lcc::conic_conformal(zone);
                return format!(
                    "PROJCS[\"RGF93_CC{zone}\",{},PROJECTION[\"Lambert_Conformal_Conic\"],{},UNIT[\"Meter\",1.0]]",
                    geogcs("RGF_1993", GRS80),
                    parameters(&[
                        ("False_Easting", lcc.x0),
                        ("False_Northing", lcc.y0),
                        ("Central_Meridian", 3.0),
                        ("Standard_Parallel_1", lcc.phi1),
                        ("Standard_Parallel_2", lcc.phi2),
                        ("Latitude_Of_Origin", lcc.phi0),
                    ])
                );
            }
            Crs::Utm { zone, south, epsg } => {
                let (datum, spheroid) = OVERSEAS_UTM
                    .iter()
                    .find(|(c, ..)| *c == epsg)
                    .map_or(("WGS_1984", WGS84), |(_, _, _, name)| (*name, GRS80));
                let hemisphere = if south { "S" } else { "N" };
                return format!(
                    "PROJCS[\"{datum}_UTM_Zone_{zone}{hemisphere}\",{},PROJECTION[\"Transverse_Mercator\"],{},UNIT[\"Meter\",1.0]]",
                    geogcs(datum, spheroid),
                    parameters(&[
                        ("False_Easting", 500_000.0),
                        ("False_Northing", if south { 10_000_000.0 } else { 0.0 }),
                        ("Central_Meridian", utm_meridian(zone)),
                        ("Scale_Factor", 0.9996),
                        ("Latitude_Of_Origin", 0.0),
                    ])
                );
            }
            _ => {}
        }
        match self {
            Crs::Wgs84 => "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]",
            Crs::WebMercator => "PROJCS[\"WGS_1984_Web_Mercator_Auxiliary_Sphere\",GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Mercator_Auxiliary_Sphere\"],PARAMETER[\"False_Easting\",0.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",0.0],PARAMETER[\"Standard_Parallel_1\",0.0],PARAMETER[\"Auxiliary_Sphere_Type\",0.0],UNIT[\"Meter\",1.0]]",
            Crs::ConicConformal(_) | Crs::Utm { .. } => unreachable!("written above"),
            Crs::Lambert93 => "PROJCS[\"RGF_1993_Lambert_93\",GEOGCS[\"GCS_RGF_1993\",DATUM[\"D_RGF_1993\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Lambert_Conformal_Conic\"],PARAMETER[\"False_Easting\",700000.0],PARAMETER[\"False_Northing\",6600000.0],PARAMETER[\"Central_Meridian\",3.0],PARAMETER[\"Standard_Parallel_1\",49.0],PARAMETER[\"Standard_Parallel_2\",44.0],PARAMETER[\"Latitude_Of_Origin\",46.5],UNIT[\"Meter\",1.0]]",
        }
        .to_owned()
    }
}

/// Lambert Conformal Conic with two standard parallels on GRS 80 (Snyder, "Map Projections — A
/// Working Manual", 1987, eq. 15-1 to 15-10), all on the meridian 3° E; angles in degrees.
struct Lcc {
    phi1: f64,
    phi2: f64,
    phi0: f64,
    x0: f64,
    y0: f64,
}

/// GRS 80's flattening (WGS 84's differs in the ninth digit).
const GRS80_INV_F: f64 = 298.257_222_101;

impl Lcc {
    const LAMBERT_93: Lcc = Lcc { phi1: 49.0, phi2: 44.0, phi0: 46.5, x0: 700_000.0, y0: 6_600_000.0 };

    /// CC`zone`: parallels 0.75° either side of `zone`° N, false northing a million metres a zone.
    fn conic_conformal(zone: u8) -> Lcc {
        let phi0 = f64::from(zone);
        Lcc { phi1: phi0 - 0.75, phi2: phi0 + 0.75, phi0, x0: 1_700_000.0, y0: f64::from(zone - 41) * 1e6 + 200_000.0 }
    }

    fn project(&self, c: Coord) -> Coord {
        let f = 1.0 / GRS80_INV_F;
        let e = (2.0 * f - f * f).sqrt();
        let m = |phi: f64| phi.cos() / (1.0 - (e * phi.sin()).powi(2)).sqrt();
        let t = |phi: f64| {
            let s = e * phi.sin();
            (std::f64::consts::FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - s) / (1.0 + s)).powf(e / 2.0)
        };
        let (phi1, phi2, phi0) = (self.phi1.to_radians(), self.phi2.to_radians(), self.phi0.to_radians());
        let n = (m(phi1).ln() - m(phi2).ln()) / (t(phi1).ln() - t(phi2).ln());
        let big_f = m(phi1) / (n * t(phi1).powf(n));
        let rho = |phi: f64| A * big_f * t(phi).powf(n);
        let theta = n * (c.x - 3.0).to_radians();
        let r = rho(c.y.to_radians());
        Coord { x: self.x0 + r * theta.sin(), y: self.y0 + rho(phi0) - r * theta.cos() }
    }
}

fn utm_meridian(zone: u8) -> f64 {
    f64::from(zone) * 6.0 - 183.0
}

/// Transverse Mercator by Krüger's series to the fourth order in n (Karney, "Transverse Mercator
/// with an accuracy of a few nanometers", 2011, eq. 7–11: millimetres across a zone), with UTM's
/// scale 0.9996 and false origins, on GRS 80.
fn utm(c: Coord, zone: u8, south: bool) -> Coord {
    let f = 1.0 / GRS80_INV_F;
    let n = f / (2.0 - f);
    let (n2, n3, n4) = (n * n, n * n * n, n * n * n * n);
    let big_a = A / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0);
    let alpha = [
        n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0,
        13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0,
        61.0 * n3 / 240.0 - 103.0 * n4 / 140.0,
        49_561.0 * n4 / 161_280.0,
    ];
    let e = 2.0 * n.sqrt() / (1.0 + n);
    let (phi, lambda) = (c.y.to_radians(), (c.x - utm_meridian(zone)).to_radians());
    let t = (phi.sin().atanh() - e * (e * phi.sin()).atanh()).sinh();
    let xi0 = t.atan2(lambda.cos());
    let eta0 = (lambda.sin() / (1.0 + t * t).sqrt()).atanh();
    let (mut xi, mut eta) = (xi0, eta0);
    for (j, a) in alpha.iter().enumerate() {
        let k = 2.0 * (j + 1) as f64;
        xi += a * (k * xi0).sin() * (k * eta0).cosh();
        eta += a * (k * xi0).cos() * (k * eta0).sinh();
    }
    let k0 = 0.9996;
    Coord { x: 500_000.0 + k0 * big_a * eta, y: if south { 10_000_000.0 } else { 0.0 } + k0 * big_a * xi }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert93_puts_its_origin_at_the_false_origin_and_paris_where_ign_does() {
        let origin = Crs::Lambert93.project(Coord { x: 3.0, y: 46.5 });
        assert!((origin.x - 700_000.0).abs() < 1e-6 && (origin.y - 6_600_000.0).abs() < 1e-6, "{origin:?}");
        // The Eiffel Tower (2.2945 E, 48.8584 N): X 648 237 m, Y 6 862 272 m as converters
        // built on PROJ give it (to the metre).
        let eiffel = Crs::Lambert93.project(Coord { x: 2.2945, y: 48.8584 });
        assert!((eiffel.x - 648_237.0).abs() < 1.0 && (eiffel.y - 6_862_272.0).abs() < 1.0, "{eiffel:?}");
    }

    #[test]
    fn web_mercator_matches_its_closed_form() {
        let p = Crs::WebMercator.project(Coord { x: 180.0, y: 0.0 });
        assert!((p.x - 20_037_508.342_789_244).abs() < 1e-6 && p.y.abs() < 1e-6);
        // Paris: well-known tile-math values.
        let paris = Crs::WebMercator.project(Coord { x: 2.3522, y: 48.8566 });
        assert!((paris.x - 261_845.7).abs() < 1.0 && (paris.y - 6_250_564.3).abs() < 1.0, "{paris:?}");
    }

    #[test]
    fn codes_map_both_ways() {
        for code in [4326, 3857, 2154, 3942, 3949, 3950, 5490, 2972, 2975, 4471, 32601, 32631, 32660, 32701, 32760] {
            assert_eq!(Crs::from_epsg(code).unwrap().epsg(), code);
        }
        for unknown in [27572, 3941, 3951, 32600, 32661, 32700] {
            assert_eq!(Crs::from_epsg(unknown), None, "{unknown}");
        }
    }

    /// Within a centimetre of `(x, y)`.
    fn near(p: Coord, x: f64, y: f64) -> bool {
        (p.x - x).abs() < 0.01 && (p.y - y).abs() < 0.01
    }

    // Expected values from PROJ 9 (pyproj's `Transformer.from_crs(4326, code, always_xy=True)`).
    #[test]
    fn conic_conformal_zones_match_proj() {
        let eiffel = Coord { x: 2.2945, y: 48.8584 };
        let cc49 = Crs::from_epsg(3949).unwrap();
        assert!(near(cc49.project(Coord { x: 3.0, y: 49.0 }), 1_700_000.0, 8_200_000.0));
        assert!(near(cc49.project(eiffel), 1648236.1257, 8184494.7526), "{:?}", cc49.project(eiffel));
        let cc42 = Crs::from_epsg(3942).unwrap();
        assert!(near(cc42.project(eiffel), 1647849.7250, 1964266.2368), "{:?}", cc42.project(eiffel));
        assert!(cc49.prj().contains("\"Standard_Parallel_1\",48.25") && cc49.prj().contains("8200000.0"));
    }

    #[test]
    fn utm_zones_match_proj() {
        let eiffel = Coord { x: 2.2945, y: 48.8584 };
        let p = Crs::from_epsg(32631).unwrap().project(eiffel);
        assert!(near(p, 448252.0014, 5411954.9099), "{p:?}");
        // Guadeloupe in RGAF09 / UTM 20N, La Réunion in RGR92 / UTM 40S.
        let p = Crs::from_epsg(5490).unwrap().project(Coord { x: -61.5, y: 16.25 });
        assert!(near(p, 660301.8335, 1797176.5797), "{p:?}");
        let p = Crs::from_epsg(2975).unwrap().project(Coord { x: 55.45, y: -20.9 });
        assert!(near(p, 338788.5299, 7688141.5378), "{p:?}");
        let prj = Crs::from_epsg(2975).unwrap().prj();
        assert!(
            prj.starts_with("PROJCS[\"RGR_1992_UTM_Zone_40S\"") && prj.contains("\"Central_Meridian\",57.0"),
            "{prj}"
        );
    }
}
