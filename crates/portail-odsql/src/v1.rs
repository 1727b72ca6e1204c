//! The v1 query syntax (`q` of the v1 Search API, `qv1` of widgets) translated to an ODSQL
//! `where` clause, which is then parsed and bound like any other.
//!
//! ```text
//! query   = or
//! or      = and { "OR" and }
//! and     = not { ["AND"] not }          (juxtaposition is AND)
//! not     = "NOT" not | primary
//! primary = "(" or ")" | "#" name "(" args ")" | field op value | phrase | word
//! op      = ":" | "==" | ">=" | "<=" | ">" | "<"
//! value   = phrase | "[" word "TO" word "]" | word
//! ```
//! A `name:value` whose name is not a field of the dataset is plain text (`12:30`, URLs…).
//! Values are always re-quoted, so nothing from `q` reaches ODSQL unescaped.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct V1Error {
    pub message: String,
    pub position: usize,
}

impl fmt::Display for V1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (q, at character {})", self.message, self.position + 1)
    }
}

/// How the translator sees a field of the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V1Field {
    Text,
    Number,
    Date,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Phrase(String),
    Open,
    Close,
    LBracket,
    RBracket,
    Hash,
    Comma,
    Op(&'static str),
}

fn lex(q: &str) -> Result<Vec<(Tok, usize)>, V1Error> {
    let chars: Vec<(usize, char)> = q.char_indices().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let next = chars.get(i + 1).map(|(_, c)| *c);
        let two = |a: char, b: char| c == a && next == Some(b);
        let tok = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c == '"' {
            let mut s = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(V1Error { message: "Unterminated quoted text".into(), position: pos }),
                    Some((_, '\\')) if chars.get(j + 1).is_some() => {
                        s.push(chars[j + 1].1);
                        j += 2;
                    }
                    Some((_, '"')) => break,
                    Some((_, ch)) => {
                        s.push(*ch);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            out.push((Tok::Phrase(s), pos));
            continue;
        } else if two('=', '=') || two('>', '=') || two('<', '=') {
            i += 2;
            out.push((
                Tok::Op(if c == '=' {
                    "=="
                } else if c == '>' {
                    ">="
                } else {
                    "<="
                }),
                pos,
            ));
            continue;
        } else {
            match c {
                '(' => Tok::Open,
                ')' => Tok::Close,
                '[' => Tok::LBracket,
                ']' => Tok::RBracket,
                '#' => Tok::Hash,
                ',' => Tok::Comma,
                ':' => Tok::Op(":"),
                '>' => Tok::Op(">"),
                '<' => Tok::Op("<"),
                _ => {
                    let mut s = String::new();
                    let mut j = i;
                    while let Some((_, ch)) = chars.get(j) {
                        if ch.is_whitespace()
                            || "()[]#,:<>\"".contains(*ch)
                            || (*ch == '=' && chars.get(j + 1).map(|x| x.1) == Some('='))
                        {
                            break;
                        }
                        s.push(*ch);
                        j += 1;
                    }
                    i = j;
                    out.push((Tok::Word(s), pos));
                    continue;
                }
            }
        };
        i += 1;
        out.push((tok, pos));
    }
    Ok(out)
}

/// An ODSQL string literal.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "\\`"))
}

/// A value as an ODSQL literal: numbers stay numbers for numeric fields, the rest is quoted and
/// read as the field's type when bound (dates like `2012/09` included).
fn literal(value: &str, kind: V1Field) -> String {
    if kind == V1Field::Number && value.parse::<f64>().is_ok() {
        value.to_owned()
    } else {
        quote(value)
    }
}

struct Parser<'a, F> {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end: usize,
    field: &'a F,
}

impl<F: Fn(&str) -> Option<V1Field>> Parser<'_, F> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(_, p)| *p)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, V1Error> {
        Err(V1Error { message: message.into(), position: self.at() })
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w == k)
    }

    fn or(&mut self, depth: usize) -> Result<String, V1Error> {
        if depth > 32 {
            return self.error("Query nested too deeply");
        }
        let mut parts = vec![self.and(depth)?];
        while self.keyword("OR") {
            self.pos += 1;
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { format!("({})", parts.join(" or ")) })
    }

    fn and(&mut self, depth: usize) -> Result<String, V1Error> {
        let mut parts = vec![self.not(depth)?];
        loop {
            if self.keyword("AND") {
                self.pos += 1;
            } else if self.peek().is_none() || self.keyword("OR") || self.peek() == Some(&Tok::Close) {
                break;
            }
            parts.push(self.not(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { format!("({})", parts.join(" and ")) })
    }

    fn not(&mut self, depth: usize) -> Result<String, V1Error> {
        if self.keyword("NOT") {
            self.pos += 1;
            return Ok(format!("not ({})", self.not(depth + 1)?));
        }
        self.primary(depth)
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), V1Error> {
        if self.peek() == Some(&tok) {
            self.pos += 1;
            Ok(())
        } else {
            self.error(format!("Expected {what}"))
        }
    }

    fn primary(&mut self, depth: usize) -> Result<String, V1Error> {
        let Some(tok) = self.peek().cloned() else { return self.error("Expected a search term") };
        match tok {
            Tok::Open => {
                self.pos += 1;
                let inner = self.or(depth + 1)?;
                self.expect(Tok::Close, "')'")?;
                Ok(inner)
            }
            Tok::Hash => {
                self.pos += 1;
                self.function()
            }
            Tok::Phrase(p) => {
                self.pos += 1;
                Ok(quote(&p))
            }
            Tok::Word(w) => {
                self.pos += 1;
                if let (Some(Tok::Op(op)), Some(kind)) = (self.peek().cloned(), (self.field)(&w)) {
                    self.pos += 1;
                    return self.field_query(&w, op, kind);
                }
                // A word followed by `:` that is not a field: the whole `a:b` is text.
                if let Some(Tok::Op(":")) = self.peek() {
                    if let Some((Tok::Word(rest), _)) = self.toks.get(self.pos + 1).cloned() {
                        self.pos += 2;
                        return Ok(quote(&format!("{w}:{rest}")));
                    }
                }
                Ok(quote(&w))
            }
            _ => self.error("Unexpected character"),
        }
    }

    fn value(&mut self) -> Result<String, V1Error> {
        match self.peek().cloned() {
            Some(Tok::Word(w)) | Some(Tok::Phrase(w)) => {
                self.pos += 1;
                Ok(w)
            }
            _ => self.error("Expected a value"),
        }
    }

    /// `#now(days=-7, hour=0)` as ODSQL's `now(…)`, when the next tokens are one.
    fn now_call(&mut self) -> Result<Option<String>, V1Error> {
        let is_now = self.peek() == Some(&Tok::Hash)
            && matches!(self.toks.get(self.pos + 1), Some((Tok::Word(w), _)) if w.eq_ignore_ascii_case("now"));
        if !is_now {
            return Ok(None);
        }
        self.pos += 2;
        self.expect(Tok::Open, "'(' after #now")?;
        let mut args = vec![];
        loop {
            match self.peek().cloned() {
                Some(Tok::Close) => break,
                Some(Tok::Comma) => {}
                Some(Tok::Word(w)) => {
                    let arg = w.split_once('=').and_then(|(k, v)| {
                        let v: f64 = v.trim().parse().ok()?;
                        k.chars().all(|c| c.is_ascii_alphabetic()).then(|| format!("{k}={v}"))
                    });
                    match arg {
                        Some(a) => args.push(a),
                        None => return self.error(format!("#now() takes arguments such as days=-7, not {w}")),
                    }
                }
                _ => return self.error("#now() takes arguments such as days=-7"),
            }
            self.pos += 1;
        }
        self.pos += 1;
        Ok(Some(format!("now({})", args.join(", "))))
    }

    /// A bound or value: `#now(…)` as is, anything else as a literal of the field's kind.
    fn operand(&mut self, kind: V1Field) -> Result<String, V1Error> {
        match self.now_call()? {
            Some(now) => Ok(now),
            None => Ok(literal(&self.value()?, kind)),
        }
    }

    fn field_query(&mut self, name: &str, op: &str, kind: V1Field) -> Result<String, V1Error> {
        let f = ident(name);
        if op == ":" && self.peek() == Some(&Tok::LBracket) {
            self.pos += 1;
            let low = self.operand(kind)?;
            if !self.keyword("TO") {
                return self.error("Expected TO in a range");
            }
            self.pos += 1;
            let high = self.operand(kind)?;
            self.expect(Tok::RBracket, "']'")?;
            return Ok(format!("({f} >= {low} and {f} <= {high})"));
        }
        if let Some(now) = self.now_call()? {
            let cmp = if matches!(op, ":" | "==") { "=" } else { op };
            return Ok(format!("{f} {cmp} {now}"));
        }
        let phrase = matches!(self.peek(), Some(Tok::Phrase(_)));
        let value = self.value()?;
        Ok(match op {
            // On text, `field:value` searches the field's words; elsewhere it is equality.
            ":" if kind == V1Field::Text && !phrase => format!("search({f}, {})", quote(&value)),
            ":" | "==" => format!("{f} = {}", literal(&value, kind)),
            cmp => format!("{f} {cmp} {}", literal(&value, kind)),
        })
    }

    fn function(&mut self) -> Result<String, V1Error> {
        let Some(Tok::Word(name)) = self.peek().cloned() else { return self.error("Expected a function name after #") };
        self.pos += 1;
        self.expect(Tok::Open, "'(' after the function name")?;
        let mut args = vec![];
        while self.peek() != Some(&Tok::Close) {
            match self.peek().cloned() {
                Some(Tok::Word(w)) => args.push((w, false)),
                Some(Tok::Phrase(p)) => args.push((p, true)),
                _ => return self.error("Expected a function argument"),
            }
            self.pos += 1;
            // `#distance(f, "lat,lon", 500)`, `#now(years=-1)`: skip separators and `=` parts.
            while let Some(Tok::Comma) = self.peek() {
                self.pos += 1;
            }
        }
        self.pos += 1;
        let field_arg = |i: usize| -> Result<String, V1Error> {
            match args.get(i) {
                Some((a, false)) if (self.field)(a).is_some() => Ok(ident(a)),
                Some((a, _)) => self.error(format!("Unknown field: {a}")),
                None => self.error(format!("#{name}() needs a field")),
            }
        };
        let text_arg = |i: usize| -> Result<String, V1Error> {
            args.get(i).map(|(a, _)| quote(a)).map_or_else(|| self.error(format!("#{name}() needs a value")), Ok)
        };
        match name.as_str() {
            "null" => Ok(format!("{} is null", field_arg(0)?)),
            "exact" => Ok(format!("{} = {}", field_arg(0)?, text_arg(1)?)),
            "startswith" => Ok(format!("startswith({}, {})", field_arg(0)?, text_arg(1)?)),
            "search" => {
                if args.is_empty() {
                    return self.error("#search() needs a value");
                }
                let mut fields = vec![];
                for (i, (a, _)) in args[..args.len() - 1].iter().enumerate() {
                    fields.push(if a == "*" { "*".to_owned() } else { field_arg(i)? });
                }
                fields.push(text_arg(args.len() - 1)?);
                Ok(format!("search({})", fields.join(", ")))
            }
            "distance" => {
                let f = field_arg(0)?;
                let point = args.get(1).map(|(a, _)| a.as_str()).unwrap_or("");
                let meters = args.get(2).and_then(|(a, _)| a.parse::<f64>().ok());
                match (point.split_once(',').map(|(a, b)| (a.trim().parse::<f64>(), b.trim().parse::<f64>())), meters) {
                    (Some((Ok(lat), Ok(lon))), Some(m)) => {
                        Ok(format!("within_distance({f}, geom'POINT({lon} {lat})', {m}m)"))
                    }
                    _ => self.error("#distance() takes a field, \"lat,lon\" and a distance in meters"),
                }
            }
            "polygon" => {
                let f = field_arg(0)?;
                match args.get(1).and_then(|(a, _)| lat_lon_polygon(a)) {
                    Some(wkt) => Ok(format!("intersects({f}, geom'{wkt}')")),
                    None => self.error("#polygon() takes a field and \"(lat,lon),(lat,lon),(lat,lon)…\""),
                }
            }
            "geometry" => {
                // `#geometry(f, "WKT"[, INTERSECTS|DISJOINT|WITHIN])`, intersects when left out.
                let f = field_arg(0)?;
                let wkt = args.get(1).map(|(a, _)| a.trim()).unwrap_or("");
                let kinds = ["POINT", "MULTIPOINT", "LINESTRING", "MULTILINESTRING", "POLYGON", "MULTIPOLYGON"];
                let upper = wkt.to_ascii_uppercase();
                let is_wkt =
                    kinds.iter().any(|k| upper.strip_prefix(k).is_some_and(|r| r.trim_start().starts_with('(')));
                if !is_wkt || wkt.contains('\'') {
                    return self.error("#geometry() takes a field and a WKT geometry such as \"POLYGON((2.3 48.8, 2.4 48.8, 2.4 48.9, 2.3 48.8))\"");
                }
                let function = match args.get(2).map(|(a, _)| a.to_ascii_uppercase()) {
                    None => "intersects",
                    Some(m) if m == "INTERSECTS" => "intersects",
                    Some(m) if m == "DISJOINT" => "disjoint",
                    Some(m) if m == "WITHIN" => "within",
                    Some(m) => {
                        return self.error(format!("#geometry(): {m} is not a mode (INTERSECTS, DISJOINT, WITHIN)"))
                    }
                };
                Ok(format!("{function}({f}, geom'{wkt}')"))
            }
            other => self.error(format!("#{other}() is not supported")),
        }
    }
}

/// v1's polygons, `(lat,lon),(lat,lon),…` (latitude first), as a closed WKT polygon; `None`
/// unless there are at least three well-formed points.
pub fn lat_lon_polygon(text: &str) -> Option<String> {
    let mut ring = vec![];
    for pair in text.split(')').map(|p| p.trim_start_matches([',', ' ']).trim()).filter(|p| !p.is_empty()) {
        let inner = pair.strip_prefix('(')?;
        let v: Vec<f64> = inner.split(',').map(|n| n.trim().parse().ok()).collect::<Option<_>>()?;
        let [lat, lon] = v[..] else { return None };
        ring.push(format!("{lon} {lat}"));
    }
    if ring.len() < 3 {
        return None;
    }
    if ring.first() != ring.last() {
        ring.push(ring[0].clone());
    }
    Some(format!("POLYGON(({}))", ring.join(", ")))
}

/// Translates a v1 query into an ODSQL `where` clause. `field` says whether a name is a field of
/// the dataset (or of the catalog) and of what kind.
pub fn translate_q(q: &str, field: &impl Fn(&str) -> Option<V1Field>) -> Result<Option<String>, V1Error> {
    if q.len() > 10_000 {
        return Err(V1Error { message: "Query too long".into(), position: 10_000 });
    }
    let toks = lex(q)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser { toks, pos: 0, end: q.len(), field };
    let out = p.or(0)?;
    if p.peek().is_some() {
        return p.error("Unexpected text");
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str) -> Option<V1Field> {
        match name {
            "nom" => Some(V1Field::Text),
            "annee" | "capacite" => Some(V1Field::Number),
            "date" => Some(V1Field::Date),
            "geo" => Some(V1Field::Other),
            _ => None,
        }
    }

    fn t(q: &str) -> String {
        let out = translate_q(q, &fields).unwrap().unwrap();
        crate::parse_where(&out).unwrap_or_else(|e| panic!("{q} → {out}: {e}"));
        out
    }

    #[test]
    fn words_phrases_and_booleans() {
        assert_eq!(t("film"), "\"film\"");
        assert_eq!(t("star wars"), "(\"star\" and \"wars\")");
        assert_eq!(t("\"star wars\" OR trek"), "(\"star wars\" or \"trek\")");
        assert_eq!(t("NOT (a OR b) AND c"), "(not ((\"a\" or \"b\")) and \"c\")");
        assert_eq!(t("12:30"), "\"12:30\"");
    }

    #[test]
    fn field_queries() {
        assert_eq!(t("nom:paris"), "search(`nom`, \"paris\")");
        assert_eq!(t("nom:\"Saint Denis\""), "`nom` = \"Saint Denis\"");
        assert_eq!(t("nom==Paris"), "`nom` = \"Paris\"");
        assert_eq!(t("annee>=2002"), "`annee` >= 2002");
        assert_eq!(t("capacite<10 AND nom:x"), "(`capacite` < 10 and search(`nom`, \"x\"))");
        assert_eq!(t("date:[2012/01 TO 2012/06]"), "(`date` >= \"2012/01\" and `date` <= \"2012/06\")");
        assert_eq!(t("date>2012/09/11"), "`date` > \"2012/09/11\"");
    }

    #[test]
    fn functions() {
        assert_eq!(t("#null(nom)"), "`nom` is null");
        assert_eq!(t("#exact(nom, \"A b\")"), "`nom` = \"A b\"");
        assert_eq!(t("#startswith(nom, \"Sa\")"), "startswith(`nom`, \"Sa\")");
        assert_eq!(t("#search(*, \"eco\")"), "search(*, \"eco\")");
        assert_eq!(t("#distance(geo, \"48.85,2.35\", 500)"), "within_distance(`geo`, geom'POINT(2.35 48.85)', 500m)");
        assert_eq!(t("date>=#now(days=-7)"), "`date` >= now(days=-7)");
        assert_eq!(
            t("date:[#now(years=-1, hour=0) TO #now()]"),
            "(`date` >= now(years=-1, hour=0) and `date` <= now())"
        );
        assert!(translate_q("date>=#now(days=soon)", &fields).is_err());
        assert_eq!(
            t("#polygon(geo, \"(48.8,2.3),(48.9,2.3),(48.9,2.4)\")"),
            "intersects(`geo`, geom'POLYGON((2.3 48.8, 2.3 48.9, 2.4 48.9, 2.3 48.8))')"
        );
        assert!(translate_q("#polygon(geo, \"(48.8,2.3)\")", &fields).is_err());
        assert_eq!(
            t("#geometry(geo, \"POLYGON((2.3 48.8, 2.4 48.8, 2.4 48.9, 2.3 48.8))\")"),
            "intersects(`geo`, geom'POLYGON((2.3 48.8, 2.4 48.8, 2.4 48.9, 2.3 48.8))')"
        );
        assert_eq!(t("#geometry(geo, \"POINT(2.3 48.8)\", within)"), "within(`geo`, geom'POINT(2.3 48.8)')");
        for bad in [
            "#geometry(geo, \"{}\")",
            "#geometry(geo, \"POINT(1 2)\", near)",
            "#geometry(geo, \"POINT(1 2)') or (1=1\")",
        ] {
            assert!(translate_q(bad, &fields).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_cannot_escape_their_quotes() {
        assert_eq!(t("nom==\"a\\\" or 1=1\""), "`nom` = \"a\\\" or 1=1\"");
        assert!(translate_q("x\"y", &fields).is_err(), "an unbalanced quote is refused, not guessed");
    }

    #[test]
    fn errors_say_where() {
        let e = translate_q("(a OR", &fields).unwrap_err();
        assert_eq!(e.position, 5);
        assert!(translate_q("\"open", &fields).unwrap_err().message.contains("Unterminated"));
        assert!(translate_q("#now(years=-1)", &fields).is_err());
        assert!(translate_q("#null(nope)", &fields).unwrap_err().message.contains("nope"));
        assert_eq!(translate_q("   ", &fields).unwrap(), None);
    }
}
