//! `records`: one page of a dataset's records, or of groups with aggregates, and the total count.

use crate::bind::{has_aggregate, Binder, Kind};
use crate::codes;
use crate::format;
use crate::page;
use crate::selection;
use crate::tables::{Resident, Tables};
use crate::udf;
use crate::QueryError;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNode;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::utils::split_conjunction_owned;
use datafusion::logical_expr::{Expr as DfExpr, SortExpr};
use datafusion::prelude::{ident, lit, ParquetReadOptions};
use portail_core::{FieldType, Schema};
use portail_odsql::{parse_group_by, parse_order_by, parse_select, parse_where, Expr, SelectItem};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// The files and schema of the version being queried, and the engine's shared tables.
pub struct Dataset<'a> {
    pub parquet: PathBuf,
    pub index_dir: PathBuf,
    pub schema: &'a Schema,
    pub tables: &'a Tables,
    /// Where the dataset's files are served (`…/catalog/datasets/<id>/files/`): `file` values
    /// carry their address under it. `None`: they go without one.
    pub files_url: Option<String>,
}

#[derive(Debug, Default)]
pub struct RecordsRequest<'a> {
    pub select: Option<&'a str>,
    /// Every `where` parameter; they are ANDed.
    pub wheres: Vec<&'a str>,
    pub group_by: Option<&'a str>,
    pub order_by: Option<&'a str>,
    pub limit: i64,
    pub offset: i64,
    /// The request's `timezone` (UTC by default).
    pub timezone: crate::Zone,
    /// The request's `lang` for day and month names (French by default, as Opendatasoft).
    pub lang: Option<portail_core::Lang>,
}

#[derive(Debug)]
pub struct RecordsResponse {
    pub total_count: u64,
    pub results: Vec<Map<String, Value>>,
}

/// One output column: its key in the response, its expression and what it is.
struct Output {
    name: String,
    expr: DfExpr,
    kind: Kind,
}

fn matches_pattern(name: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

fn output_name(expr: &Expr, alias: &Option<String>, text: &str) -> String {
    alias.clone().unwrap_or_else(|| expr.as_field().map_or_else(|| text.to_owned(), str::to_owned))
}

/// Plain (ungrouped) select list: `*`, include/exclude patterns, expressions; file values with
/// their address under `files_url`.
fn plain_outputs(
    binder: &mut Binder,
    select: &Option<Vec<SelectItem>>,
    files_url: Option<&str>,
) -> Result<Vec<Output>, QueryError> {
    let mut out = selected_outputs(binder, select)?;
    if let Some(base) = files_url {
        for o in out.iter_mut().filter(|o| o.kind == Kind::Field(FieldType::File)) {
            o.expr = udf::file_url(o.expr.clone().unalias(), base).alias(&o.name);
        }
    }
    Ok(out)
}

fn selected_outputs(binder: &mut Binder, select: &Option<Vec<SelectItem>>) -> Result<Vec<Output>, QueryError> {
    let all = |binder: &Binder| -> Vec<Output> {
        binder
            .schema
            .fields
            .iter()
            .map(|f| Output { name: f.name.clone(), expr: ident(&f.name), kind: Kind::of_field(f) })
            .collect()
    };
    let Some(items) = select else { return Ok(all(binder)) };
    let mut out: Vec<Output> = vec![];
    for item in items {
        match item {
            SelectItem::All(_) => out.extend(all(binder)),
            SelectItem::Include { patterns, .. } => {
                for f in binder.schema.fields.iter().filter(|f| patterns.iter().any(|p| matches_pattern(&f.name, p))) {
                    out.push(Output { name: f.name.clone(), expr: ident(&f.name), kind: Kind::of_field(f) });
                }
            }
            SelectItem::Exclude { patterns, .. } => {
                if out.is_empty() {
                    out = all(binder);
                }
                out.retain(|o| !patterns.iter().any(|p| matches_pattern(&o.name, p)));
            }
            SelectItem::Expr { expr, alias, text, .. } => {
                let (e, mut kind) = binder.value(expr)?;
                if let Some(f) = expr.as_field().and_then(|name| binder.schema.field(name)) {
                    kind = Kind::of_field(f);
                }
                let name = output_name(expr, alias, text);
                out.push(Output { expr: e.alias(&name), name, kind });
            }
        }
    }
    // A name given twice for the same value (`*, id`) is shown once; for two values, it is an error.
    let mut unique: Vec<Output> = Vec::with_capacity(out.len());
    for o in out {
        match unique.iter().find(|u| u.name == o.name) {
            Some(u) if u.expr.clone().unalias() == o.expr.clone().unalias() => {}
            Some(_) => {
                return Err(QueryError::invalid(format!(
                    "ODSQL query is malformed: {} names two different values in select",
                    o.name
                )))
            }
            None => unique.push(o),
        }
    }
    Ok(unique)
}

/// The row number column every version has (file order, from 1).
pub(crate) const HIDDEN_ROW: &str = "_row";

fn sort(expr: DfExpr, descending: bool) -> SortExpr {
    // Nulls last in both directions.
    expr.sort(!descending, false)
}

/// A query ready to run: its DataFrame (paging applied), its output columns and, when asked,
/// the total count of matching records (or groups).
pub(crate) struct Plan {
    pub rows: Rows,
    pub outputs: Vec<(String, Kind)>,
    pub total: Option<u64>,
}

/// A query's rows: a plan to run, or a page already taken from memory (records only).
pub(crate) enum Rows {
    Frame(datafusion::dataframe::DataFrame),
    Ready(RecordBatch),
}

pub async fn records(ds: &Dataset<'_>, req: &RecordsRequest<'_>) -> Result<RecordsResponse, QueryError> {
    within_time(ds.tables, async {
        let plan = plan(ds, req, true).await?;
        let batches = match plan.rows {
            Rows::Frame(df) => df.collect().await?,
            Rows::Ready(batch) => vec![batch],
        };
        Ok(RecordsResponse {
            total_count: plan.total.unwrap_or(0),
            results: format::rows(&batches, &plan.outputs, req.timezone)?,
        })
    })
    .await
}

/// Runs a query under the engine's time limit.
pub(crate) async fn within_time<T>(
    tables: &Tables,
    query: impl std::future::Future<Output = Result<T, QueryError>>,
) -> Result<T, QueryError> {
    let limit = tables.settings().timeout;
    tokio::time::timeout(limit, query).await.unwrap_or(Err(QueryError::Timeout(limit)))
}

/// `limit < 0` means no limit (exports).
pub(crate) async fn plan(ds: &Dataset<'_>, req: &RecordsRequest<'_>, count: bool) -> Result<Plan, QueryError> {
    let syntax = |clause| move |error| QueryError::Syntax { clause, error };
    let conds = parse_wheres(&req.wheres)?;
    let select = req.select.filter(|s| !s.trim().is_empty()).map(parse_select).transpose().map_err(syntax("select"))?;
    let group =
        req.group_by.filter(|s| !s.trim().is_empty()).map(parse_group_by).transpose().map_err(syntax("group_by"))?;
    let order =
        req.order_by.filter(|s| !s.trim().is_empty()).map(parse_order_by).transpose().map_err(syntax("order_by"))?;

    let in_memory = resident(ds).await?;
    let mut binder = Binder::new(ds.schema, &ds.index_dir, ds.tables, in_memory.as_deref())
        .in_zone(req.timezone)
        .in_lang(req.lang.unwrap_or(portail_core::Lang::Fr));
    let mut filter = bind_filter(&mut binder, &conds)?;
    let aggregated = group.is_some() || select.as_deref().is_some_and(crate::bind::selects_aggregate);

    // One partition keeps the file's order, which is the records' natural order.
    let partitions = if aggregated || order.is_some() { 2 } else { 1 };
    // Plain records in memory: the filter is evaluated once, for the count and for the page.
    let mut known_total = None;
    if let (true, false, Some(resident)) = (count, aggregated, &in_memory) {
        let mut selected = None;
        let total = match filter.take() {
            None => resident.rows,
            Some(f) => {
                let found = match sorted_equality(&conds, ds.schema, resident) {
                    Some((column, value)) => selection::equal_in_sorted(resident, column, value)?,
                    None => selection::select(ds.tables.session(2), resident, memory_filter(f))?,
                };
                filter = Some(udf::row_in_bits(ident(HIDDEN_ROW), found.bits.clone()));
                selected = Some(found.bits);
                found.count
            }
        };
        known_total = Some(total);
        // A page in natural order, or sorted by one numeric field, is taken directly, without a plan.
        let page_order = memory_page_order(order.as_deref(), select.as_deref(), ds.schema, resident);
        if let (Some(page_order), Ok(offset), Ok(limit)) =
            (page_order, usize::try_from(req.offset), usize::try_from(req.limit))
        {
            let out = plain_outputs(&mut binder, &select, ds.files_url.as_deref())?;
            let exprs: Vec<(String, DfExpr)> = out.iter().map(|o| (o.name.clone(), o.expr.clone())).collect();
            let session = ds.tables.session(1);
            let taken = page::page(session, resident, selected.as_deref(), page_order, offset, limit, &exprs)?;
            if let Some(batch) = taken {
                let outputs = out.into_iter().map(|o| (o.name, o.kind)).collect();
                return Ok(Plan { rows: Rows::Ready(batch), outputs, total: Some(total) });
            }
        }
    }
    let group_filter = if aggregated { filter.clone() } else { None };
    let mut df = scan(ds, in_memory.as_deref(), partitions, filter).await?;

    let outputs: Vec<(String, Kind)>;
    if aggregated {
        let mut group_exprs = vec![];
        let mut keys: Vec<(String, String, Kind)> = vec![]; // (output name, client text, kind)
        let mut decoders = vec![];
        let mut aggr_exprs = vec![];
        // geo_cluster keys: (key name, centroid latitude column, centroid longitude column).
        let mut clusters: Vec<(String, String, String)> = vec![];
        for g in group.iter().flatten() {
            if let Expr::Call { name: function, args, .. } = &g.expr {
                if function.eq_ignore_ascii_case("geo_cluster") {
                    let name = output_name(&g.expr, &g.alias, &g.text);
                    let (point, zoom, radius) = cluster_args(&binder, args)?;
                    // Records without a point belong to no cluster.
                    df = df.filter(point.clone().is_not_null())?;
                    let cluster = crate::cluster::clusters(&df, point.clone(), zoom, radius).await?;
                    group_exprs.push(cluster.alias(&name));
                    let (lat, lon) = (format!("{name}\u{0}lat"), format!("{name}\u{0}lon"));
                    aggr_exprs.push(
                        datafusion::functions_aggregate::expr_fn::avg(f::get_field(point.clone(), "lat")).alias(&lat),
                    );
                    aggr_exprs
                        .push(datafusion::functions_aggregate::expr_fn::avg(f::get_field(point, "lon")).alias(&lon));
                    clusters.push((name.clone(), lat, lon));
                    keys.push((name, g.text.clone(), Kind::Other));
                    continue;
                }
            }
            let (e, kind) = binder.value(&g.expr)?;
            if kind == Kind::Aggregate {
                return Err(QueryError::invalid(format!("ODSQL query is malformed: {} cannot be a group", g.text)));
            }
            let name = output_name(&g.expr, &g.alias, &g.text);
            // A multivalued field: one group per value, its cells unnested first.
            let multivalued =
                g.expr.as_field().and_then(|f| ds.schema.field(f)).and_then(|f| f.multivalued().map(|s| (f, s)));
            if let Some((field, separator)) = multivalued {
                df = df.with_column(&field.name, udf::split_values(ident(&field.name), separator))?;
                df = df.unnest_columns(&[field.name.as_str()])?;
                group_exprs.push(ident(&field.name).alias(&name));
                keys.push((name, g.text.clone(), Kind::Field(FieldType::Text)));
                continue;
            }
            // Values outside static range bounds have no bucket: they are left out.
            if matches!(&g.expr, Expr::Call { name, .. } if name == "range") {
                df = df.filter(e.clone().is_not_null())?;
            }
            // A coded text field groups by its integer code, decoded after the aggregation.
            match binder.coded(&g.expr) {
                Some(coded) => {
                    group_exprs.push(ident(&coded.column).alias(&name));
                    decoders.push((name.clone(), coded));
                }
                None => group_exprs.push(e.alias(&name)),
            }
            keys.push((name, g.text.clone(), kind));
        }
        // Expressions over aggregates (`sum(a) / count(*)`), computed from hidden aggregate columns
        // once the groups are formed: (output name, expression over those columns).
        let mut over_aggregates: Vec<(String, DfExpr)> = vec![];
        // (column after aggregation, output name, kind): a select alias may rename a group key.
        let mut projection: Vec<(String, String, Kind)> = vec![];
        // Output names seen, with the text they name: the same value twice is shown once (as in
        // plain selects), two values under one name are refused.
        let mut named: Vec<(String, String)> = vec![];
        for item in select.iter().flatten() {
            if let SelectItem::Expr { expr, alias, text, .. } = item {
                let name = output_name(expr, alias, text);
                match named.iter().find(|(n, _)| *n == name) {
                    Some((_, t)) if t == text => continue,
                    Some(_) => {
                        return Err(QueryError::invalid(format!(
                            "ODSQL query is malformed: {name} names two different values in select"
                        )))
                    }
                    None => named.push((name, text.clone())),
                }
            }
            match item {
                SelectItem::Expr { expr, alias, text, .. } if has_aggregate(expr) => {
                    let (e, kind) = binder.value(expr)?;
                    let name = output_name(expr, alias, text);
                    if matches!(expr, Expr::Call { .. }) {
                        aggr_exprs.push(e.alias(&name));
                    } else {
                        over_aggregates.push((name.clone(), hoist_aggregates(e, &mut aggr_exprs)?));
                    }
                    projection.push((name.clone(), name, kind));
                }
                SelectItem::Expr { expr, alias, text, .. } => {
                    let key = keys.iter().find(|(name, key_text, _)| {
                        key_text == text || name == text || expr.as_field() == Some(name.as_str())
                    });
                    let Some((name, _, kind)) = key else {
                        return Err(QueryError::invalid(format!(
                            "ODSQL query is malformed: {text} must be an aggregate or a group_by expression"
                        )));
                    };
                    projection.push((name.clone(), alias.clone().unwrap_or_else(|| name.clone()), *kind));
                }
                _ => {
                    return Err(QueryError::invalid(
                        "ODSQL query is malformed: * and include/exclude cannot be used with aggregates",
                    ))
                }
            }
        }
        // Every group key is in the results, as Opendatasoft gives them: those the select list
        // does not name come first, under their alias or text.
        let unnamed: Vec<(String, String, Kind)> = keys
            .iter()
            .filter(|(n, _, _)| !projection.iter().any(|(source, _, _)| source == n))
            .map(|(n, _, k)| (n.clone(), n.clone(), *k))
            .collect();
        projection.splice(0..0, unnamed);
        // Counting by one coded field needs no hash table: the codes index the counts.
        let counts_only = select.iter().flatten().all(|item| match item {
            SelectItem::Expr { expr: Expr::Call { name, args, .. }, .. } if name == "count" => {
                matches!(args.as_slice(), [] | [portail_odsql::Arg::Star(_)])
            }
            SelectItem::Expr { expr, .. } => !has_aggregate(expr),
            _ => false,
        });
        match (&in_memory, decoders.as_slice(), keys.len(), counts_only) {
            (Some(resident), [(key, coded)], 1, true) => {
                let selected = match group_filter {
                    Some(f) => Some(selection::select(ds.tables.session(2), resident, memory_filter(f))?.bits),
                    None => None,
                };
                let counts: Vec<String> = aggr_exprs.iter().map(|e| e.schema_name().to_string()).collect();
                let batch = codes::count_by_code(&resident.batches, coded, selected.as_deref(), key, &counts)?;
                df = ds.tables.session(1).read_batch(batch)?;
            }
            _ => {
                // One small-range integer key (a year, a code…): arrays instead of a hash table.
                let dense = match (group_exprs.as_slice(), clusters.is_empty()) {
                    ([key], true) => {
                        crate::dense::aggregate(&df, &key.clone().unalias(), key.schema_name().to_string(), &aggr_exprs)
                            .await?
                    }
                    _ => None,
                };
                df = match dense {
                    Some(batch) => ds.tables.session(1).read_batch(batch)?,
                    None => df.aggregate(group_exprs, aggr_exprs)?,
                };
            }
        }
        if !over_aggregates.is_empty() {
            let mut columns: Vec<DfExpr> = df.schema().columns().into_iter().map(DfExpr::Column).collect();
            columns.extend(over_aggregates.into_iter().map(|(name, e)| e.alias(name)));
            df = df.select(columns)?;
        }
        // Rename shown group keys, keep unshown ones for sorting, drop them after.
        let hidden: Vec<&String> = keys
            .iter()
            .map(|(n, _, _)| n)
            .filter(|n| !projection.iter().any(|(source, shown, _)| source == *n && shown == *n))
            .collect();
        let column = |source: &String| {
            if let Some((_, lat, lon)) = clusters.iter().find(|(name, _, _)| name == source) {
                let centroid = f::named_struct(vec![lit("lat"), ident(lat), lit("lon"), ident(lon)]);
                return f::named_struct(vec![lit("cluster_centroid"), centroid]);
            }
            // A file key gets its address, as file values do.
            let file_key = keys.iter().any(|(name, _, kind)| name == source && *kind == Kind::Field(FieldType::File));
            match (decoders.iter().find(|(name, _)| name == source), ds.files_url.as_deref()) {
                (Some((_, coded)), _) => coded.decode(ident(source)),
                (None, Some(base)) if file_key => udf::file_url(ident(source), base),
                (None, _) => ident(source),
            }
        };
        let mut columns: Vec<DfExpr> =
            projection.iter().map(|(source, shown, _)| column(source).alias(shown)).collect();
        columns.extend(
            hidden
                .iter()
                .filter(|n| !projection.iter().any(|(_, shown, _)| shown == **n))
                .map(|n| column(n).alias(n.as_str())),
        );
        df = df.select(columns)?;
        // Counting the groups would run the aggregation a second time: the groups are computed
        // once, kept, then counted and paged.
        let total = if count {
            let schema = df.schema().inner().clone();
            let groups = df.collect().await?;
            let n = groups.iter().map(|b| b.num_rows() as u64).sum();
            let table = datafusion::datasource::MemTable::try_new(schema, vec![groups])?;
            df = ds.tables.session(1).read_table(Arc::new(table))?;
            Some(n)
        } else {
            None
        };
        // A group key's column after the projection: its shown name, or its own when hidden.
        let key_column = |kn: &String| {
            projection
                .iter()
                .find(|(source, _, _)| source == kn)
                .map_or_else(|| kn.clone(), |(_, shown, _)| shown.clone())
        };
        let mut sorts = vec![];
        for item in order.iter().flatten() {
            // An output name, or a group key (by its name or text).
            let shown = projection
                .iter()
                .find(|(source, shown, _)| *shown == item.text || *source == item.text)
                .map(|(_, shown, _)| shown.clone());
            let key =
                keys.iter().find(|(kn, kt, _)| *kn == item.text || *kt == item.text).map(|(kn, _, _)| key_column(kn));
            let name = shown.or(key).ok_or_else(|| {
                QueryError::invalid(match &item.expr {
                    Expr::Call { name, .. } if name == "random" => {
                        format!("ODSQL query is malformed: {} orders records, not groups", item.text)
                    }
                    _ => format!("ODSQL query is malformed: order by {} needs it in select or group_by", item.text),
                })
            })?;
            sorts.push(sort(ident(&name), item.descending));
        }
        // Then by the group keys: groups come in a stable order and pages never overlap.
        sorts.extend(keys.iter().map(|(kn, _, _)| sort(ident(key_column(kn)), false)));
        if !sorts.is_empty() {
            df = df.sort(sorts)?;
        }
        df = df.select(projection.iter().map(|(_, shown, _)| ident(shown)).collect::<Vec<_>>())?;
        outputs = projection.into_iter().map(|(_, shown, kind)| (shown, kind)).collect();
        df = df.limit(req.offset as usize, fetch(req.limit))?;
        return Ok(Plan { rows: Rows::Frame(df), outputs, total });
    }

    let out = plain_outputs(&mut binder, &select, ds.files_url.as_deref())?;
    let total = match known_total {
        Some(n) => Some(n),
        None if count => Some(df.clone().count().await? as u64),
        None => None,
    };
    if let Some(items) = &order {
        let mut sorts = vec![];
        for item in items {
            let by_alias = select.iter().flatten().find_map(|s| match s {
                SelectItem::Expr { expr, alias: Some(a), .. } if *a == item.text => Some(expr.clone()),
                _ => None,
            });
            let (e, kind) = binder.value(by_alias.as_ref().unwrap_or(&item.expr))?;
            if kind == Kind::Aggregate {
                return Err(QueryError::invalid(format!(
                    "ODSQL query is malformed: cannot order by {} without group_by",
                    item.text
                )));
            }
            sorts.push(sort(e, item.descending));
        }
        // Ties keep the natural order, so that pages of a sorted query never overlap.
        sorts.push(sort(ident(HIDDEN_ROW), false));
        df = df.sort(sorts)?;
    }
    outputs = out.iter().map(|o| (o.name.clone(), o.kind)).collect();
    df = df.select(out.into_iter().map(|o| o.expr).collect::<Vec<_>>())?;
    df = df.limit(req.offset as usize, fetch(req.limit))?;
    Ok(Plan { rows: Rows::Frame(df), outputs, total })
}

/// Moves each aggregate inside `e` to `aggregates` under a hidden name and returns `e` reading
/// those columns instead: `sum(a) / count(*)` becomes `"\0agg0" / "\0agg1"`, computed after the
/// grouping.
fn hoist_aggregates(e: DfExpr, aggregates: &mut Vec<DfExpr>) -> Result<DfExpr, QueryError> {
    use datafusion::common::tree_node::Transformed;
    let rewritten = e.transform_up(|node| {
        let aggregate = match &node {
            DfExpr::AggregateFunction(_) => Some(node.clone()),
            DfExpr::Alias(a) if matches!(*a.expr, DfExpr::AggregateFunction(_)) => Some(*a.expr.clone()),
            _ => None,
        };
        Ok(match aggregate {
            Some(agg) => {
                let name = format!("\u{0}agg{}", aggregates.len());
                aggregates.push(agg.alias(&name));
                Transformed::yes(ident(name))
            }
            None => Transformed::no(node),
        })
    })?;
    // What is left must be computed from the aggregates alone: a field there has no single value
    // per group (and a coded text field would silently be its codes).
    if rewritten.data.column_refs().iter().any(|c| !c.name.starts_with("\u{0}agg")) {
        return Err(QueryError::invalid(
            "ODSQL query is malformed: arithmetic on aggregates may only combine aggregates and numbers",
        ));
    }
    Ok(rewritten.data)
}

/// `geo_cluster(point_field, zoom[, radius])`: the point column, the zoom and the radius.
fn cluster_args(binder: &Binder, args: &[portail_odsql::Arg]) -> Result<(DfExpr, u8, f64), QueryError> {
    use portail_odsql::{Arg, Literal};
    let usage = || {
        QueryError::invalid(
            "geo_cluster() takes a geo_point_2d field, a zoom from 0 to 25 and an optional radius in pixels",
        )
    };
    let number = |a: Option<&Arg>| match a {
        Some(Arg::Expr(Expr::Literal { value: Literal::Num(_, v), .. })) => Some(*v),
        _ => None,
    };
    let Some(Arg::Expr(Expr::Field { path, .. })) = args.first() else { return Err(usage()) };
    let (point, field_type) = binder.field(path)?;
    if field_type != portail_core::FieldType::GeoPoint2d || args.len() > 3 {
        return Err(usage());
    }
    let zoom = number(args.get(1)).filter(|z| z.fract() == 0.0 && (0.0..=25.0).contains(z)).ok_or_else(usage)?;
    let radius = match args.get(2) {
        None => 40.0,
        Some(_) => number(args.get(2)).filter(|r| *r >= 1.0 && *r <= 256.0).ok_or_else(usage)?,
    };
    Ok((point.clone(), zoom as u8, radius))
}

/// How a page of plain records can be taken from memory: in natural order (no `order_by`, or an
/// ascending one on an int field stored in order), or by one numeric field; `None` otherwise.
fn memory_page_order<'a>(
    order: Option<&[portail_odsql::OrderItem]>,
    select: Option<&[SelectItem]>,
    schema: &'a Schema,
    resident: &Resident,
) -> Option<page::PageOrder<'a>> {
    let Some(items) = order else { return Some(page::PageOrder::Natural) };
    let [item] = items else { return None };
    let Expr::Field { path, .. } = &item.expr else { return None };
    // A select alias of the same name would be what the client sorts by.
    let aliased = select
        .iter()
        .flat_map(|s| s.iter())
        .any(|s| matches!(s, SelectItem::Expr { alias: Some(a), .. } if *a == item.text));
    let field = schema.field(&path.join(".")).filter(|_| !aliased)?;
    if !item.descending && field.field_type == portail_core::FieldType::Int && resident.sorted.contains(&field.name) {
        return Some(page::PageOrder::Natural);
    }
    matches!(field.field_type, portail_core::FieldType::Int | portail_core::FieldType::Double)
        .then_some(page::PageOrder::ByColumn { column: &field.name, descending: item.descending })
}

/// `field = N` alone, on an int field stored in order (like an `id`): the column and `N`.
fn sorted_equality<'a>(
    conds: &[portail_odsql::Cond],
    schema: &Schema,
    resident: &'a Resident,
) -> Option<(&'a str, i64)> {
    use portail_odsql::{CmpOp, Cond, Literal};
    let [Cond::Compare { left: Expr::Field { path, .. }, op: CmpOp::Eq, right: Expr::Literal { value, .. }, .. }] =
        conds
    else {
        return None;
    };
    let field = schema.field(&path.join("."))?;
    let column = resident.sorted.iter().find(|c| **c == field.name)?;
    let number = match value {
        Literal::Num(_, v) => *v,
        Literal::Str(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (field.field_type == portail_core::FieldType::Int && number.fract() == 0.0 && number.abs() < 9.0e15)
        .then_some((column.as_str(), number as i64))
}

/// Every non-blank `where` clause, parsed.
fn parse_wheres(wheres: &[&str]) -> Result<Vec<portail_odsql::Cond>, QueryError> {
    wheres
        .iter()
        .filter(|w| !w.trim().is_empty())
        .map(|w| parse_where(w).map_err(|error| QueryError::Syntax { clause: "where", error }))
        .collect()
}

fn bind_filter(binder: &mut Binder, conds: &[portail_odsql::Cond]) -> Result<Option<DfExpr>, QueryError> {
    let mut filter: Option<DfExpr> = None;
    for c in conds {
        let e = binder.cond(c)?;
        if e.exists(|x| Ok(matches!(x, DfExpr::AggregateFunction(_))))? {
            return Err(QueryError::invalid(
                "ODSQL query is malformed: aggregations (count, avg…) cannot be used in where",
            ));
        }
        filter = Some(match filter {
            Some(f) => f.and(e),
            None => e,
        });
    }
    Ok(filter)
}

/// The version in memory when it is resident.
async fn resident(ds: &Dataset<'_>) -> Result<Option<Arc<Resident>>, QueryError> {
    ds.tables.resident(&ds.parquet).await
}

/// A filter for rows in memory: every row is evaluated anyway, so the conjunction is one call
/// (see `udf::all_of`). A Parquet scan keeps the plain conjunction, which skips row groups with
/// their statistics.
fn memory_filter(filter: DfExpr) -> DfExpr {
    let mut conditions = split_conjunction_owned(filter);
    if conditions.len() == 1 {
        conditions.remove(0)
    } else {
        udf::all_of(conditions)
    }
}

/// The version's records, filtered: from memory when the version is resident, else from its
/// Parquet file. One partition keeps the file's order.
async fn scan(
    ds: &Dataset<'_>,
    in_memory: Option<&Resident>,
    partitions: usize,
    filter: Option<DfExpr>,
) -> Result<datafusion::dataframe::DataFrame, QueryError> {
    let ctx = ds.tables.session(partitions);
    let df = match in_memory {
        Some(resident) if partitions == 1 => ctx.read_table(resident.ordered.clone())?,
        Some(resident) => ctx.read_table(resident.parallel.clone())?,
        None => {
            let path = ds.parquet.to_str().ok_or_else(|| QueryError::Internal("non-UTF-8 data path".into()))?;
            ctx.read_parquet(path, ParquetReadOptions::default()).await?
        }
    };
    Ok(match filter {
        Some(f) if in_memory.is_some() => df.filter(memory_filter(f))?,
        Some(f) => df.filter(f)?,
        None => df,
    })
}

/// How many records match, and the box around their points in `field` (a geo point field) as
/// `[west, south, east, north]`; `None` when no matching record has a point.
pub async fn bounding_box(
    ds: &Dataset<'_>,
    wheres: &[&str],
    field: &str,
) -> Result<(u64, Option<[f64; 4]>), QueryError> {
    within_time(ds.tables, box_of_points(ds, wheres, field)).await
}

async fn box_of_points(ds: &Dataset<'_>, wheres: &[&str], field: &str) -> Result<(u64, Option<[f64; 4]>), QueryError> {
    use datafusion::functions::core::expr_fn::get_field;
    use datafusion::functions_aggregate::expr_fn::{count, max, min};
    let conds = parse_wheres(wheres)?;
    let in_memory = resident(ds).await?;
    let mut binder = Binder::new(ds.schema, &ds.index_dir, ds.tables, in_memory.as_deref());
    let filter = bind_filter(&mut binder, &conds)?;
    let df = scan(ds, in_memory.as_deref(), 2, filter).await?;
    // A null point's children hold arbitrary values: only non-null points count.
    let part = |name: &str| -> Result<DfExpr, QueryError> {
        Ok(datafusion::prelude::when(ident(field).is_not_null(), get_field(ident(field), name)).end()?)
    };
    let (lon, lat) = (part("lon")?, part("lat")?);
    let df = df.aggregate(
        vec![],
        vec![
            count(datafusion::prelude::lit(1)).alias("n"),
            min(lon.clone()).alias("w"),
            min(lat.clone()).alias("s"),
            max(lon).alias("e"),
            max(lat).alias("n2"),
        ],
    )?;
    let batches = df.collect().await?;
    let outputs: Vec<(String, Kind)> =
        ["n", "w", "s", "e", "n2"].iter().map(|n| (n.to_string(), Kind::Number)).collect();
    let row = format::rows(&batches, &outputs, crate::Zone::UTC)?.into_iter().next().unwrap_or_default();
    let n = row.get("n").and_then(Value::as_u64).unwrap_or(0);
    let get = |k: &str| row.get(k).and_then(Value::as_f64);
    Ok(match (get("w"), get("s"), get("e"), get("n2")) {
        (Some(w), Some(s), Some(e), Some(north)) => (n, Some([w, s, e, north])),
        _ => (n, None),
    })
}

fn fetch(limit: i64) -> Option<usize> {
    (limit >= 0).then_some(limit as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::QuerySettings;
    use std::time::Duration;

    #[tokio::test]
    async fn a_query_past_the_time_limit_is_stopped_with_its_own_code() {
        let tables = Tables::new(QuerySettings { timeout: Duration::from_millis(20), ..QuerySettings::default() });
        let slow = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        };
        let e = within_time(&tables, slow).await.unwrap_err();
        assert!(matches!(e, QueryError::Timeout(_)), "{e:?}");
        assert_eq!((e.code().wire(), e.code().status()), ("QueryTimeout", 503));
        assert_eq!(within_time(&tables, async { Ok(7) }).await.unwrap(), 7, "a quick query is untouched");
    }
}
