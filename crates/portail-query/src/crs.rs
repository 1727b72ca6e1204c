//! Coordinate systems a geographic export can be written in (`epsg`): WGS 84 longitude/latitude,
//! as stored; Web Mercator, the web maps' plane; Lambert-93, the legal projection of
//! metropolitan France that French GIS software and the cadastre use, and its nine conic
//! conformal zones CC42–CC50 (EPSG 3942–3950) that local authorities survey in; UTM, for the
//! overseas departments' legal systems (RGAF09 UTM 20N, RGFG95 UTM 22N, RGR92 UTM 40S, RGM04
//! UTM 38S) and any WGS 84 zone (EPSG 326xx north, 327xx south). Those datums (RGF93, RGAF09…)
//! and WGS 84 differ by centimetres, so each is computed as a pure projection of the stored
//! coordinates. The old NTF Lambert zones (EPSG 27561–27564, 27571–27574, Lambert II étendu
//! among them), still in older GIS files, sit on another datum: the coordinates are shifted
//! first, by the three-translation NTF ↔ WGS 84 transformation (EPSG 1193), as PROJ does without
//! IGN's grid; that is good to a metre or two, the transformation's own accuracy.

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
    /// An NTF (Paris) Lambert zone, by its EPSG code (a key of `NTF_ZONES`).
    NtfLambert(u32),
}

/// The NTF (Paris) Lambert zones: (EPSG, ESRI name, latitude of origin in grads, scale, false
/// easting, false northing). Zones I–IV are the Nord/Centre/Sud/Corse zones with a false
/// northing a million metres a zone; zone II, spread over the whole country, is "Lambert II
/// étendu".
const NTF_ZONES: [(u32, &str, f64, f64, f64, f64); 8] = [
    (27561, "NTF_Paris_Lambert_Nord_France", 55.0, 0.999_877_341, 600_000.0, 200_000.0),
    (27562, "NTF_Paris_Lambert_Centre_France", 52.0, 0.999_877_42, 600_000.0, 200_000.0),
    (27563, "NTF_Paris_Lambert_Sud_France", 49.0, 0.999_877_499, 600_000.0, 200_000.0),
    (27564, "NTF_Paris_Lambert_Corse", 46.85, 0.999_944_71, 234.358, 185_861.369),
    (27571, "NTF_Paris_Lambert_Zone_I", 55.0, 0.999_877_341, 600_000.0, 1_200_000.0),
    (27572, "NTF_Paris_Lambert_Zone_II", 52.0, 0.999_877_42, 600_000.0, 2_200_000.0),
    (27573, "NTF_Paris_Lambert_Zone_III", 49.0, 0.999_877_499, 600_000.0, 3_200_000.0),
    (27574, "NTF_Paris_Lambert_Zone_IV", 46.85, 0.999_944_71, 234.358, 4_185_861.369),
];

/// The Paris meridian east of Greenwich, in grads (EPSG 8903), and a grad in degrees.
const PARIS_GRADS: f64 = 2.596_921_3;
const GRAD: f64 = 0.9;

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
        5490, 2972, 2975, 4471 (UTM of the overseas departments), 32601 to 32660 and 32701 to 32760 (WGS 84 UTM), \
        27561 to 27564 and 27571 to 27574 (NTF Lambert zones)";

    pub fn from_epsg(code: u32) -> Option<Crs> {
        match code {
            4326 => Some(Crs::Wgs84),
            3857 | 900_913 => Some(Crs::WebMercator),
            2154 => Some(Crs::Lambert93),
            3942..=3950 => Some(Crs::ConicConformal((code - 3900) as u8)),
            32601..=32660 => Some(Crs::Utm { zone: (code - 32600) as u8, south: false, epsg: code }),
            32701..=32760 => Some(Crs::Utm { zone: (code - 32700) as u8, south: true, epsg: code }),
            _ if NTF_ZONES.iter().any(|z| z.0 == code) => Some(Crs::NtfLambert(code)),
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
            Crs::Utm { epsg, .. } | Crs::NtfLambert(epsg) => epsg,
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
            Crs::Lambert93 => Lcc::lambert_93().project(c),
            Crs::ConicConformal(zone) => Lcc::conic_conformal(zone).project(c),
            Crs::Utm { zone, south, .. } => utm(c, zone, south),
            Crs::NtfLambert(epsg) => Lcc::ntf(epsg).project(wgs84_to_ntf(c)),
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
        const GRS80_WKT: &str = "SPHEROID[\"GRS_1980\",6378137.0,298.257222101]";
        const WGS84_WKT: &str = "SPHEROID[\"WGS_1984\",6378137.0,298.257223563]";
        let geogcs = |name: &str, spheroid: &str| {
            format!("GEOGCS[\"GCS_{name}\",DATUM[\"D_{name}\",{spheroid}],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]")
        };
        let parameters = |list: &[(&str, f64)]| {
            list.iter().map(|(k, v)| format!("PARAMETER[\"{k}\",{v:?}]")).collect::<Vec<_>>().join(",")
        };
        match self {
            Crs::ConicConformal(zone) => {
                let (phi0, x0, y0) = (f64::from(zone), 1_700_000.0, f64::from(zone - 41) * 1e6 + 200_000.0);
                return format!(
                    "PROJCS[\"RGF93_CC{zone}\",{},PROJECTION[\"Lambert_Conformal_Conic\"],{},UNIT[\"Meter\",1.0]]",
                    geogcs("RGF_1993", GRS80_WKT),
                    parameters(&[
                        ("False_Easting", x0),
                        ("False_Northing", y0),
                        ("Central_Meridian", 3.0),
                        ("Standard_Parallel_1", phi0 - 0.75),
                        ("Standard_Parallel_2", phi0 + 0.75),
                        ("Latitude_Of_Origin", phi0),
                    ])
                );
            }
            Crs::Utm { zone, south, epsg } => {
                let (datum, spheroid) = OVERSEAS_UTM
                    .iter()
                    .find(|(c, ..)| *c == epsg)
                    .map_or(("WGS_1984", WGS84_WKT), |(_, _, _, name)| (*name, GRS80_WKT));
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
            Crs::NtfLambert(epsg) => {
                let (_, name, phi0, k0, x0, y0) = ntf_zone(epsg);
                return format!(
                    "PROJCS[\"{name}\",GEOGCS[\"GCS_NTF_Paris\",DATUM[\"Nouvelle_Triangulation_Francaise_(Paris)\",\
                     SPHEROID[\"Clarke_1880_IGN\",6378249.2,293.466021293627]],PRIMEM[\"Paris\",2.33722917],\
                     UNIT[\"Grad\",0.0157079632679489]],PROJECTION[\"Lambert_Conformal_Conic\"],{},UNIT[\"Meter\",1.0]]",
                    parameters(&[
                        ("False_Easting", x0),
                        ("False_Northing", y0),
                        ("Central_Meridian", 0.0),
                        ("Standard_Parallel_1", phi0),
                        ("Scale_Factor", k0),
                        ("Latitude_Of_Origin", phi0),
                    ])
                );
            }
            _ => {}
        }
        match self {
            Crs::Wgs84 => "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]",
            Crs::WebMercator => "PROJCS[\"WGS_1984_Web_Mercator_Auxiliary_Sphere\",GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Mercator_Auxiliary_Sphere\"],PARAMETER[\"False_Easting\",0.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",0.0],PARAMETER[\"Standard_Parallel_1\",0.0],PARAMETER[\"Auxiliary_Sphere_Type\",0.0],UNIT[\"Meter\",1.0]]",
            Crs::ConicConformal(_) | Crs::Utm { .. } | Crs::NtfLambert(_) => unreachable!("written above"),
            Crs::Lambert93 => "PROJCS[\"RGF_1993_Lambert_93\",GEOGCS[\"GCS_RGF_1993\",DATUM[\"D_RGF_1993\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Lambert_Conformal_Conic\"],PARAMETER[\"False_Easting\",700000.0],PARAMETER[\"False_Northing\",6600000.0],PARAMETER[\"Central_Meridian\",3.0],PARAMETER[\"Standard_Parallel_1\",49.0],PARAMETER[\"Standard_Parallel_2\",44.0],PARAMETER[\"Latitude_Of_Origin\",46.5],UNIT[\"Meter\",1.0]]",
        }
        .to_owned()
    }
}

/// An ellipsoid: semi-major axis and inverse flattening.
#[derive(Clone, Copy)]
struct Ellipsoid {
    a: f64,
    inv_f: f64,
}

/// GRS 80's flattening (WGS 84's differs in the ninth digit).
const GRS80_INV_F: f64 = 298.257_222_101;
const GRS80: Ellipsoid = Ellipsoid { a: A, inv_f: GRS80_INV_F };
const WGS84: Ellipsoid = Ellipsoid { a: A, inv_f: 298.257_223_563 };
/// NTF's ellipsoid.
const CLARKE_1880_IGN: Ellipsoid = Ellipsoid { a: 6_378_249.2, inv_f: 293.466_021_293_627 };

impl Ellipsoid {
    /// The first eccentricity squared.
    fn e2(self) -> f64 {
        let f = 1.0 / self.inv_f;
        2.0 * f - f * f
    }

    /// Earth-centred coordinates of a point on the ellipsoid (height 0); angles in degrees.
    fn to_geocentric(self, c: Coord) -> [f64; 3] {
        let (phi, lambda) = (c.y.to_radians(), c.x.to_radians());
        let n = self.a / (1.0 - self.e2() * phi.sin().powi(2)).sqrt();
        [n * phi.cos() * lambda.cos(), n * phi.cos() * lambda.sin(), n * (1.0 - self.e2()) * phi.sin()]
    }

    /// Longitude and latitude of earth-centred coordinates (the height dropped), by the usual
    /// fixed-point iteration: a few steps reach a micrometre at ground level.
    fn to_geographic(self, [x, y, z]: [f64; 3]) -> Coord {
        let (e2, p) = (self.e2(), x.hypot(y));
        let mut phi = z.atan2(p * (1.0 - e2));
        for _ in 0..6 {
            let n = self.a / (1.0 - e2 * phi.sin().powi(2)).sqrt();
            let h = p / phi.cos() - n;
            phi = z.atan2(p * (1.0 - e2 * n / (n + h)));
        }
        Coord { x: y.atan2(x).to_degrees(), y: phi.to_degrees() }
    }
}

/// WGS 84 longitude/latitude to NTF's (still from Greenwich): NTF = WGS 84 + (168, 60, −320) m
/// in earth-centred coordinates (the inverse of EPSG 1193, NTF to WGS 84 (1)).
fn wgs84_to_ntf(c: Coord) -> Coord {
    let [x, y, z] = WGS84.to_geocentric(c);
    CLARKE_1880_IGN.to_geographic([x + 168.0, y + 60.0, z - 320.0])
}

fn ntf_zone(epsg: u32) -> (u32, &'static str, f64, f64, f64, f64) {
    *NTF_ZONES.iter().find(|z| z.0 == epsg).expect("an NTF zone's code")
}

/// Lambert Conformal Conic (Snyder, "Map Projections — A Working Manual", 1987, eq. 15-1 to
/// 15-10): the cone's constant `n`, `a·F·k0` and the origin's radius; angles in degrees.
struct Lcc {
    e: f64,
    lon0: f64,
    n: f64,
    afk: f64,
    rho0: f64,
    x0: f64,
    y0: f64,
}

/// Snyder's `m` and `t` of a latitude (radians) for eccentricity `e`.
fn lcc_m(e: f64, phi: f64) -> f64 {
    phi.cos() / (1.0 - (e * phi.sin()).powi(2)).sqrt()
}
fn lcc_t(e: f64, phi: f64) -> f64 {
    let s = e * phi.sin();
    (std::f64::consts::FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - s) / (1.0 + s)).powf(e / 2.0)
}

impl Lcc {
    /// Two standard parallels, on GRS 80 and the meridian 3° E (RGF93's projections).
    fn secant(phi1: f64, phi2: f64, phi0: f64, x0: f64, y0: f64) -> Lcc {
        let e = GRS80.e2().sqrt();
        let (phi1, phi2, phi0) = (phi1.to_radians(), phi2.to_radians(), phi0.to_radians());
        let n = (lcc_m(e, phi1).ln() - lcc_m(e, phi2).ln()) / (lcc_t(e, phi1).ln() - lcc_t(e, phi2).ln());
        let afk = GRS80.a * lcc_m(e, phi1) / (n * lcc_t(e, phi1).powf(n));
        Lcc { e, lon0: 3.0, n, afk, rho0: afk * lcc_t(e, phi0).powf(n), x0, y0 }
    }

    /// One standard parallel `phi0` with scale `k0` there (NTF's zones, on Clarke 1880).
    fn tangent(ellipsoid: Ellipsoid, phi0: f64, k0: f64, lon0: f64, x0: f64, y0: f64) -> Lcc {
        let e = ellipsoid.e2().sqrt();
        let phi0 = phi0.to_radians();
        let n = phi0.sin();
        let afk = ellipsoid.a * lcc_m(e, phi0) / (n * lcc_t(e, phi0).powf(n)) * k0;
        Lcc { e, lon0, n, afk, rho0: afk * lcc_t(e, phi0).powf(n), x0, y0 }
    }

    fn lambert_93() -> Lcc {
        Lcc::secant(49.0, 44.0, 46.5, 700_000.0, 6_600_000.0)
    }

    /// CC`zone`: parallels 0.75° either side of `zone`° N, false northing a million metres a zone.
    fn conic_conformal(zone: u8) -> Lcc {
        let phi0 = f64::from(zone);
        Lcc::secant(phi0 - 0.75, phi0 + 0.75, phi0, 1_700_000.0, f64::from(zone - 41) * 1e6 + 200_000.0)
    }

    /// An NTF zone, on the Paris meridian.
    fn ntf(epsg: u32) -> Lcc {
        let (_, _, phi0, k0, x0, y0) = ntf_zone(epsg);
        Lcc::tangent(CLARKE_1880_IGN, phi0 * GRAD, k0, PARIS_GRADS * GRAD, x0, y0)
    }

    fn project(&self, c: Coord) -> Coord {
        let theta = self.n * (c.x - self.lon0).to_radians();
        let r = self.afk * lcc_t(self.e, c.y.to_radians()).powf(self.n);
        Coord { x: self.x0 + r * theta.sin(), y: self.y0 + self.rho0 - r * theta.cos() }
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
        let known = [4326, 3857, 2154, 3942, 3949, 3950, 5490, 2972, 2975, 4471, 32601, 32631, 32660, 32701, 32760];
        for code in known.into_iter().chain([27561, 27564, 27571, 27572, 27574]) {
            assert_eq!(Crs::from_epsg(code).unwrap().epsg(), code);
        }
        for unknown in [27560, 27565, 27570, 27575, 3941, 3951, 32600, 32661, 32700] {
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

    // Expected values from PROJ 9 without IGN's grid (pyproj: "Inverse of NTF to WGS 84 (1) +
    // Inverse of NTF (Paris) to NTF (1) + Lambert zone II").
    #[test]
    fn ntf_lambert_zones_match_proj() {
        let (paris, brest, nice, corse) = (
            Coord { x: 2.3522, y: 48.8566 },
            Coord { x: -4.4861, y: 48.3904 },
            Coord { x: 7.262, y: 43.7102 },
            Coord { x: 9.15, y: 42.0 },
        );
        let zone2 = Crs::from_epsg(27572).unwrap();
        for (at, x, y) in
            [(paris, 601152.299, 2428695.897), (brest, 95210.271, 2398759.847), (nice, 997226.984, 1868938.580)]
        {
            let p = zone2.project(at);
            assert!(near(p, x, y), "{p:?} for {x} {y}");
        }
        let p = Crs::from_epsg(27561).unwrap().project(paris);
        assert!(near(p, 601151.622, 128460.407), "{p:?}");
        let p = Crs::from_epsg(27574).unwrap().project(corse);
        assert!(near(p, 564106.389, 4190044.267), "{p:?}");
        let p = Crs::from_epsg(27563).unwrap().project(nice);
        assert!(near(p, 996694.248, 168561.154), "{p:?}");
        let prj = zone2.prj();
        assert!(prj.starts_with("PROJCS[\"NTF_Paris_Lambert_Zone_II\",GEOGCS[\"GCS_NTF_Paris\""), "{prj}");
        assert!(prj.contains("PRIMEM[\"Paris\",2.33722917]") && prj.contains("\"False_Northing\",2200000.0"), "{prj}");
        assert!(prj.contains("\"Scale_Factor\",0.99987742") && prj.contains("\"Latitude_Of_Origin\",52.0"), "{prj}");
    }

    #[test]
    fn the_datum_shift_moves_paris_about_a_hundred_metres() {
        // NTF and WGS 84 coordinates of one place differ by a few seconds of arc.
        let ntf = wgs84_to_ntf(Coord { x: 2.3522, y: 48.8566 });
        let (dx, dy) = ((ntf.x - 2.3522) * 73_000.0, (ntf.y - 48.8566) * 111_000.0);
        assert!(dx.hypot(dy) > 50.0 && dx.hypot(dy) < 200.0, "{dx} {dy}");
        // Back again by the forward shift (the height dropped on the way): within a centimetre.
        let [x, y, z] = CLARKE_1880_IGN.to_geocentric(ntf);
        let back = WGS84.to_geographic([x - 168.0, y - 60.0, z + 320.0]);
        assert!((back.x - 2.3522).abs() < 1e-7 && (back.y - 48.8566).abs() < 1e-7, "{back:?}");
    }
}
