use crate::*;
use proptest::prelude::*;

fn field(name: &str) -> String {
    name.to_owned()
}

fn w(s: &str) -> Cond {
    parse_where(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn precedence_is_or_then_and_then_not() {
    match w("a = 1 or b = 2 and not c") {
        Cond::Or(items) => {
            assert!(matches!(items[0], Cond::Compare { op: CmpOp::Eq, .. }));
            let Cond::And(inner) = &items[1] else { panic!("{:?}", items[1]) };
            assert!(matches!(&inner[1], Cond::Not(c) if matches!(**c, Cond::Truthy { .. })));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(w("NOT(a = 1)"), Cond::Not(_)));
    assert!(matches!(w("(a = 1 OR a = 2) AND b > 3"), Cond::And(v) if matches!(v[0], Cond::Or(_))));
}

#[test]
fn the_spec_examples_parse() {
    for q in [
        "capacity >= 30 and (city = \"Paris\" or city:\"Clichy\") and not is_closed",
        "\"gare du nord\" and opened >= date'2020-01-01'",
        "search(name, \"exlmans versai\")",
        "startswith(station_code, \"16\")",
        "tags IN (\"ebike\", \"covered\") or \"ebike\" IN tags",
        "within_distance(location, geom'POINT(2.2679 48.8420)', 800m)",
        "in_bbox(location, 48.84, 2.26, 48.85, 2.27)",
        "year(opened) = 2024 and date_format(opened, 'MM') = '03'",
        "category=\"Culture\" and capacity>=1000 and event_date>=date'2020-01-01'",
        "within_distance(geo_point_2d, geom'POINT(2.3522 48.8566)', 10km)",
        "id=123457",
        "date_field IN [date'2017'..date'2018']",
        "d:[ '2022-03-12' TO '2022-04-27' ]",
        "n IN ]1..10[",
        "x is not null and y is true",
        "name LIKE \"star\"",
        "(a + b) * 2 > 3",
        "`and`: \"value\"",
        "search(*, \"q\")",
        "datasetid:\"some-id\"",
        "features='geo'",
        "geometry(location, geom'POLYGON((2 48, 3 48, 3 49, 2 48))')",
        "now(years=-1, month=2) < updated_at",
        "-5 < temperature",
    ] {
        w(q);
    }
}

#[test]
fn predicates_have_the_right_shape() {
    assert!(matches!(w("\"lavoir\""), Cond::FullText { ref text, .. } if text == "lavoir"));
    assert!(matches!(w("15 IN ints"), Cond::Member { .. }));
    assert!(matches!(w("\"x\" IN tags"), Cond::Member { .. }));
    match w("within_distance(g, geom'POINT(2 48)', 10km)") {
        Cond::Function { name, args, .. } => {
            assert_eq!(name, "within_distance");
            assert!(matches!(&args[2], Arg::Quantity { value, unit, .. } if *value == 10.0 && unit == "km"));
        }
        other => panic!("{other:?}"),
    }
    match w("n IN ]1..10]") {
        Cond::InRange { low, high, .. } => assert!(!low.inclusive && high.inclusive),
        other => panic!("{other:?}"),
    }
    match w("t >= -2.5") {
        Cond::Compare { right: Expr::Literal { value: Literal::Num(text, v), .. }, .. } => {
            assert_eq!((text.as_str(), v), ("-2.5", -2.5))
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(w("default.modified > date'2020'"), Cond::Compare { left: Expr::Field { ref path, .. }, .. } if path == &[field("default"), field("modified")])
    );
}

#[test]
fn select_group_and_order_clauses() {
    let s =
        parse_select("category, count(*) as n, avg(amount) as avg_amount, include(addr_*), `Nombre de places (total)`")
            .unwrap();
    assert!(matches!(&s[0], SelectItem::Expr { alias: None, text, .. } if text == "category"));
    assert!(
        matches!(&s[1], SelectItem::Expr { alias: Some(a), expr: Expr::Call { name, args, .. }, .. } if a == "n" && name == "count" && matches!(args[0], Arg::Star(_)))
    );
    assert!(matches!(&s[3], SelectItem::Include { patterns, .. } if patterns == &["addr_*"]));
    let s = parse_select("year(event_date) as year, count(*) as n, sum(capacity) as total_capacity").unwrap();
    assert_eq!(s.len(), 3);
    let s = parse_select("COUNT(*),  RANGE(capacity,15)").unwrap();
    assert!(
        matches!(&s[1], SelectItem::Expr { text, .. } if text == "RANGE(capacity,15)"),
        "raw text kept for output keys"
    );
    assert!(
        matches!(&parse_select("count(distinct city)").unwrap()[0], SelectItem::Expr { expr: Expr::Call { args, .. }, .. } if matches!(args[0], Arg::Distinct(_)))
    );

    let g = parse_group_by("range(opened, 1 month) as month, year(d), RANGE(population, ]10, 50, 100[)").unwrap();
    assert_eq!(g[0].alias.as_deref(), Some("month"));
    assert!(
        matches!(&g[0].expr, Expr::Call { args, .. } if matches!(&args[1], Arg::Quantity { unit, .. } if unit == "month"))
    );
    assert!(
        matches!(&g[2].expr, Expr::Call { args, .. } if args.iter().filter(|a| matches!(a, Arg::Bracket { .. })).count() == 2)
    );

    let o = parse_order_by("n desc, -amount, id, random(3) ASC").unwrap();
    assert_eq!(o.iter().map(|i| i.descending).collect::<Vec<_>>(), [true, true, false, false]);
    assert_eq!(o[1].text, "amount");
}

#[test]
fn errors_give_the_position_ods_reports() {
    let e = parse_select("invalid_function(").unwrap_err();
    assert_eq!(e.position, 17);
    let e = parse_where("a = ").unwrap_err();
    assert_eq!((e.position, e.found.as_str()), (4, "end of input"));
    let e = parse_where("a = 1 and").unwrap_err();
    assert!(
        e.to_string().starts_with("ODSQL syntax exception: unexpected end of input at position 9 in a = 1 and"),
        "{e}"
    );
    let e = parse_where("café = 1 )").unwrap_err();
    assert_eq!(e.position, 9, "positions count characters, not bytes");
    assert!(parse_where("").is_err());
    assert!(parse_where("a in (1,").is_err());
    assert!(parse_where("x = and").is_err());
}

#[test]
fn limits_stop_hostile_input() {
    let deep = format!("{}a = 1{}", "(".repeat(200), ")".repeat(200));
    let e = parse_where(&deep).unwrap_err();
    assert!(e.expected.contains("levels of nesting"), "{e}");
    let long = "a = 1 and ".repeat(2000) + "a = 1";
    assert!(parse_where(&long).unwrap_err().expected.contains("bytes"));
    let nots = "not ".repeat(500) + "a";
    assert!(parse_where(&nots).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(s in "[a-z0-9 ()\\[\\]'\"`.,:=<>!*+/-]{0,60}") {
        let _ = parse_where(&s);
        let _ = parse_select(&s);
        let _ = parse_group_by(&s);
        let _ = parse_order_by(&s);
    }

    #[test]
    fn error_positions_are_within_the_input(s in ".{0,40}") {
        if let Err(e) = parse_where(&s) {
            prop_assert!(e.position <= s.chars().count());
        }
    }
}
