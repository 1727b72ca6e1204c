//! FlatGeobuf export (`fgb`): one layer of the records' geometries (in the export's coordinate
//! system) with their other fields as typed columns, which QGIS and GDAL open directly. Records
//! without a geometry are left out, as in GPX. Built whole, then sent.

use crate::bind::Kind;
use crate::crs::Crs;
use crate::encode::Column;
use crate::geo_formats::geometry_at;
use crate::{QueryError, Zone};
use datafusion::arrow::datatypes::DataType;
use datafusion::dataframe::DataFrame;
use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::Geometry;
use geozero::{ColumnValue, PropertyProcessor};

fn fgb_error(e: impl std::fmt::Display) -> QueryError {
    QueryError::Internal(format!("FlatGeobuf: {e}"))
}

/// The layer's geometry type: the records' one when they all share it, else "any".
fn layer_type(g: &Geometry) -> GeometryType {
    match g {
        Geometry::Point(_) => GeometryType::Point,
        Geometry::MultiPoint(_) => GeometryType::MultiPoint,
        Geometry::Line(_) | Geometry::LineString(_) => GeometryType::LineString,
        Geometry::MultiLineString(_) => GeometryType::MultiLineString,
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => GeometryType::Polygon,
        Geometry::MultiPolygon(_) => GeometryType::MultiPolygon,
        Geometry::GeometryCollection(_) => GeometryType::GeometryCollection,
    }
}

/// What FlatGeobuf stores a column as; dates and everything not numeric or boolean go as text.
fn column_type(t: &DataType) -> ColumnType {
    match t {
        DataType::Int64 => ColumnType::Long,
        DataType::Float64 => ColumnType::Double,
        DataType::Boolean => ColumnType::Bool,
        DataType::Date32 | DataType::Timestamp(..) => ColumnType::DateTime,
        _ => ColumnType::String,
    }
}

/// The `.fgb` file of the rows of `df`, its layer called `name`.
pub(crate) async fn flatgeobuf(
    df: DataFrame,
    outputs: Vec<(String, Kind)>,
    zone: Zone,
    name: &str,
    crs: Crs,
) -> Result<Vec<u8>, QueryError> {
    let types: Vec<DataType> = df.schema().fields().iter().map(|f| f.data_type().clone()).collect();
    let batches = df.collect().await?;
    let geometry = crate::export::geometry_column(&outputs);
    let fields: Vec<usize> = (0..outputs.len()).filter(|i| Some(*i) != geometry).collect();

    // First pass: one geometry type for the layer, or "any" when they differ.
    let mut layer: Option<GeometryType> = None;
    for batch in &batches {
        let columns: Vec<Column> = Column::all(batch, &outputs, zone);
        for row in 0..batch.num_rows() {
            if let Some(g) = geometry_at(&columns, geometry, row)? {
                let t = layer_type(&g);
                layer = match layer {
                    None => Some(t),
                    Some(l) if l == t => Some(l),
                    Some(_) => Some(GeometryType::Unknown),
                };
            }
        }
    }
    let options = FgbWriterOptions {
        crs: FgbCrs { code: crs.epsg() as i32, ..Default::default() },
        write_index: true,
        // The layer's type is decided above; a mixed layer stays "any" (the writer would
        // otherwise take the first record's type and refuse the others).
        detect_type: false,
        promote_to_multi: false,
        ..Default::default()
    };
    let mut fgb =
        FgbWriter::create_with_options(name, layer.unwrap_or(GeometryType::Unknown), options).map_err(fgb_error)?;
    for &i in &fields {
        let t = column_type(&types[i]);
        fgb.add_column(&outputs[i].0, t, |_, column| column.nullable = true);
    }

    let mut text = Vec::with_capacity(64);
    for batch in &batches {
        let columns: Vec<Column> = Column::all(batch, &outputs, zone);
        for row in 0..batch.num_rows() {
            let Some(g) = geometry_at(&columns, geometry, row)? else { continue };
            let g = crs.geometry(&g);
            let mut failed = None;
            fgb.add_feature_geom(g, |feature| {
                for (n, &i) in fields.iter().enumerate() {
                    let column = &columns[i];
                    if column.is_null(row) {
                        continue;
                    }
                    let written = match column {
                        Column::Int(a) => feature.property(n, &outputs[i].0, &ColumnValue::Long(a.value(row))),
                        Column::Float(a) => feature.property(n, &outputs[i].0, &ColumnValue::Double(a.value(row))),
                        Column::Bool(a) => feature.property(n, &outputs[i].0, &ColumnValue::Bool(a.value(row))),
                        _ => {
                            text.clear();
                            if let Err(e) = column.csv_text(row, &mut text) {
                                failed = Some(e);
                                return;
                            }
                            let value = String::from_utf8_lossy(&text);
                            let value = match column_type(&types[i]) {
                                ColumnType::DateTime => ColumnValue::DateTime(&value),
                                _ => ColumnValue::String(&value),
                            };
                            feature.property(n, &outputs[i].0, &value)
                        }
                    };
                    if let Err(e) = written {
                        failed = Some(fgb_error(e));
                        return;
                    }
                }
            })
            .map_err(fgb_error)?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
    }
    let mut out = vec![];
    fgb.write(&mut out).map_err(fgb_error)?;
    Ok(out)
}
