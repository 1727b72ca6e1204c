//! Coordinate systems a geographic export can be written in (`epsg`): WGS 84 longitude/latitude,
//! as stored; Web Mercator, the web maps' plane; and Lambert-93, the legal projection of
//! metropolitan France that French GIS software and the cadastre use. RGF93 and WGS 84 differ by
//! centimetres, so Lambert-93 is computed as a pure projection of the stored coordinates.

use geo::{Coord, Geometry, MapCoords};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    #[default]
    Wgs84,
    WebMercator,
    Lambert93,
}

/// Earth radius of Web Mercator, and the semi-major axis of GRS 80 and WGS 84.
const A: f64 = 6_378_137.0;
/// Latitude where Web Mercator's square world ends.
const MERCATOR_MAX_LAT: f64 = 85.051_128_779_806_6;

impl Crs {
    /// The EPSG codes portail writes.
    pub const CODES: [u32; 3] = [4326, 3857, 2154];

    pub fn from_epsg(code: u32) -> Option<Crs> {
        match code {
            4326 => Some(Crs::Wgs84),
            3857 | 900_913 => Some(Crs::WebMercator),
            2154 => Some(Crs::Lambert93),
            _ => None,
        }
    }

    pub fn epsg(self) -> u32 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::WebMercator => 3857,
            Crs::Lambert93 => 2154,
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
            Crs::Lambert93 => lambert93(c),
        }
    }

    pub fn geometry(self, g: &Geometry) -> Geometry {
        match self {
            Crs::Wgs84 => g.clone(),
            _ => g.map_coords(|c| self.project(c)),
        }
    }

    /// The `.prj` of a shapefile in this system (ESRI's WKT, which GIS software reads).
    pub fn prj(self) -> &'static str {
        match self {
            Crs::Wgs84 => "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]",
            Crs::WebMercator => "PROJCS[\"WGS_1984_Web_Mercator_Auxiliary_Sphere\",GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Mercator_Auxiliary_Sphere\"],PARAMETER[\"False_Easting\",0.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",0.0],PARAMETER[\"Standard_Parallel_1\",0.0],PARAMETER[\"Auxiliary_Sphere_Type\",0.0],UNIT[\"Meter\",1.0]]",
            Crs::Lambert93 => "PROJCS[\"RGF_1993_Lambert_93\",GEOGCS[\"GCS_RGF_1993\",DATUM[\"D_RGF_1993\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Lambert_Conformal_Conic\"],PARAMETER[\"False_Easting\",700000.0],PARAMETER[\"False_Northing\",6600000.0],PARAMETER[\"Central_Meridian\",3.0],PARAMETER[\"Standard_Parallel_1\",49.0],PARAMETER[\"Standard_Parallel_2\",44.0],PARAMETER[\"Latitude_Of_Origin\",46.5],UNIT[\"Meter\",1.0]]",
        }
    }
}

/// Lambert Conformal Conic with two standard parallels on GRS 80 (Snyder, "Map Projections — A
/// Working Manual", 1987, eq. 15-1 to 15-10) with Lambert-93's parameters.
fn lambert93(c: Coord) -> Coord {
    const INV_F: f64 = 298.257_222_101;
    let f = 1.0 / INV_F;
    let e = (2.0 * f - f * f).sqrt();
    let m = |phi: f64| phi.cos() / (1.0 - (e * phi.sin()).powi(2)).sqrt();
    let t = |phi: f64| {
        let s = e * phi.sin();
        (std::f64::consts::FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - s) / (1.0 + s)).powf(e / 2.0)
    };
    let (phi1, phi2, phi0, lambda0) = (49f64.to_radians(), 44f64.to_radians(), 46.5f64.to_radians(), 3f64.to_radians());
    let n = (m(phi1).ln() - m(phi2).ln()) / (t(phi1).ln() - t(phi2).ln());
    let big_f = m(phi1) / (n * t(phi1).powf(n));
    let rho = |phi: f64| A * big_f * t(phi).powf(n);
    let theta = n * (c.x.to_radians() - lambda0);
    let r = rho(c.y.to_radians());
    Coord { x: 700_000.0 + r * theta.sin(), y: 6_600_000.0 + rho(phi0) - r * theta.cos() }
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
        for code in Crs::CODES {
            assert_eq!(Crs::from_epsg(code).unwrap().epsg(), code);
        }
        assert_eq!(Crs::from_epsg(27572), None);
    }
}
