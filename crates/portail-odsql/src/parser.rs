//! Recursive-descent parser for the four ODSQL clauses.

use crate::ast::*;
use crate::lexer::{lex, Tok, Token};
use crate::{ParseError, Span, MAX_DEPTH, MAX_QUERY_BYTES};

/// Keywords that end an expression and can never be field names unquoted.
const STRUCTURAL: &[&str] = &["and", "or", "not", "in", "is", "like", "as", "asc", "desc", "to", "distinct"];

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

type Result<T> = std::result::Result<T, ParseError>;

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Parser<'a>> {
        if src.len() > MAX_QUERY_BYTES {
            return Err(ParseError::new(
                src,
                Span::new(MAX_QUERY_BYTES, src.len()),
                "more text",
                &format!("at most {MAX_QUERY_BYTES} bytes"),
            ));
        }
        Ok(Parser { src, toks: lex(src)?, pos: 0, depth: 0 })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.toks[self.pos].span
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].span.end
        }
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek().is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn err(&self, expected: &str) -> ParseError {
        ParseError::new(self.src, self.span(), &self.peek().describe(), expected)
    }

    fn expect(&mut self, t: Tok, expected: &str) -> Result<Token> {
        if self.peek() == &t {
            Ok(self.bump())
        } else {
            Err(self.err(expected))
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(&format!("at most {MAX_DEPTH} levels of nesting")));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn finish(&self) -> Result<()> {
        if self.peek() == &Tok::Eof {
            Ok(())
        } else {
            Err(self.err("an operator, a comma or the end of the clause"))
        }
    }

    fn text(&self, span: Span) -> String {
        self.src[span.start..span.end].trim().to_owned()
    }

    // ---------------------------------------------------------------- conditions

    fn or(&mut self) -> Result<Cond> {
        let mut items = vec![self.and()?];
        while self.eat_kw("or") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Cond::Or(items) })
    }

    fn and(&mut self) -> Result<Cond> {
        let mut items = vec![self.not()?];
        while self.eat_kw("and") {
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Cond::And(items) })
    }

    fn not(&mut self) -> Result<Cond> {
        if self.peek().is_kw("not") {
            self.bump();
            self.enter()?;
            let inner = self.not()?;
            self.leave();
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.atom()
    }

    fn continues_expression(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Eq
                | Tok::Colon
                | Tok::Ne
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
                | Tok::Plus
                | Tok::Minus
                | Tok::Star
                | Tok::Slash
        ) || ["like", "in", "is"].iter().any(|k| self.peek().is_kw(k))
    }

    fn atom(&mut self) -> Result<Cond> {
        if self.peek() == &Tok::LParen {
            // Either a parenthesised condition or an expression like `(a + b) > 3`.
            let saved = self.pos;
            self.bump();
            self.enter()?;
            let attempt = self.or().and_then(|c| self.expect(Tok::RParen, "`)`").map(|_| c));
            self.leave();
            match attempt {
                Ok(c) if !self.continues_expression() => return Ok(c),
                Ok(_) => self.pos = saved,
                Err(first) => {
                    self.pos = saved;
                    return self.predicate().map_err(|_| first);
                }
            }
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Cond> {
        let start = self.span();
        if let Tok::Str(text) = self.peek().clone() {
            if !self.peek_at(1).is_kw("in") {
                self.bump();
                return Ok(Cond::FullText { text, span: start });
            }
        }
        let left = self.expr()?;
        let cmp = match self.peek() {
            Tok::Eq | Tok::Colon => Some(CmpOp::Eq),
            Tok::Ne => Some(CmpOp::Ne),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Le => Some(CmpOp::Le),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = cmp {
            let is_eq = matches!(self.peek(), Tok::Eq | Tok::Colon);
            self.bump();
            if is_eq && matches!(self.peek(), Tok::LBracket | Tok::RBracket) {
                return self.range(left, start);
            }
            let right = self.expr()?;
            let span = start.to(right.span());
            return Ok(Cond::Compare { left, op, right, span });
        }
        if self.eat_kw("like") {
            let Tok::Str(pattern) = self.peek().clone() else { return Err(self.err("a quoted string after LIKE")) };
            let end = self.bump().span;
            return Ok(Cond::Like { expr: left, pattern, span: start.to(end) });
        }
        if self.eat_kw("in") {
            return match self.peek() {
                Tok::LParen => {
                    self.bump();
                    let mut values = vec![self.expr()?];
                    while self.eat(&Tok::Comma) {
                        values.push(self.expr()?);
                    }
                    let end = self.expect(Tok::RParen, "`,` or `)`")?.span;
                    Ok(Cond::InList { expr: left, values, span: start.to(end) })
                }
                Tok::LBracket | Tok::RBracket => self.range(left, start),
                _ => {
                    let field = self.expr()?;
                    let span = start.to(field.span());
                    Ok(Cond::Member { value: left, field, span })
                }
            };
        }
        if self.eat_kw("is") {
            let negated = self.eat_kw("not");
            let end = self.span();
            if self.eat_kw("null") {
                return Ok(Cond::IsNull { expr: left, negated, span: start.to(end) });
            }
            for (kw, value) in [("true", true), ("false", false)] {
                if self.eat_kw(kw) {
                    return Ok(Cond::IsBool { expr: left, value, negated, span: start.to(end) });
                }
            }
            return Err(self.err("NULL, TRUE or FALSE after IS"));
        }
        let span = start.to(left.span());
        Ok(match left {
            Expr::Call { name, args, span } => Cond::Function { name, args, span },
            expr => Cond::Truthy { expr, span },
        })
    }

    fn range(&mut self, expr: Expr, start: Span) -> Result<Cond> {
        let low_inclusive = match self.bump().tok {
            Tok::LBracket => true,
            Tok::RBracket => false,
            _ => return Err(self.err("`[` or `]`")),
        };
        let low = self.expr()?;
        if !self.eat(&Tok::DotDot) && !self.eat_kw("to") {
            return Err(self.err("`..` or TO"));
        }
        let high = self.expr()?;
        let end = self.span();
        let high_inclusive = match self.peek() {
            Tok::RBracket => true,
            Tok::LBracket => false,
            _ => return Err(self.err("`]` or `[`")),
        };
        self.bump();
        Ok(Cond::InRange {
            expr,
            low: Bound { value: low, inclusive: low_inclusive },
            high: Bound { value: high, inclusive: high_inclusive },
            span: start.to(end),
        })
    }

    // ---------------------------------------------------------------- expressions

    fn expr(&mut self) -> Result<Expr> {
        let mut left = self.term()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => ArithOp::Add,
                Tok::Minus => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.term()?;
            let span = left.span().to(right.span());
            left = Expr::Arith { op, left: Box::new(left), right: Box::new(right), span };
        }
    }

    fn term(&mut self) -> Result<Expr> {
        let mut left = self.factor()?;
        loop {
            let op = match self.peek() {
                Tok::Star => ArithOp::Mul,
                Tok::Slash => ArithOp::Div,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.factor()?;
            let span = left.span().to(right.span());
            left = Expr::Arith { op, left: Box::new(left), right: Box::new(right), span };
        }
    }

    fn factor(&mut self) -> Result<Expr> {
        if matches!(self.peek(), Tok::Minus | Tok::Plus) {
            let negative = self.peek() == &Tok::Minus;
            let start = self.bump().span;
            self.enter()?;
            let inner = self.factor()?;
            self.leave();
            let span = start.to(inner.span());
            return Ok(match inner {
                // `-5` is a literal, as clients mean it.
                Expr::Literal { value: Literal::Num(text, v), .. } if negative => {
                    Expr::Literal { value: Literal::Num(format!("-{text}"), -v), span }
                }
                inner if negative => Expr::Neg { expr: Box::new(inner), span },
                inner => inner,
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr> {
        let span = self.span();
        let literal = |value| Ok(Expr::Literal { value, span });
        match self.peek().clone() {
            Tok::Str(s) => {
                self.bump();
                literal(Literal::Str(s))
            }
            Tok::Num(n) => {
                self.bump();
                let v = n.parse::<f64>().map_err(|_| ParseError::new(self.src, span, &n, "a number"))?;
                literal(Literal::Num(n, v))
            }
            Tok::Date(d) => {
                self.bump();
                literal(Literal::Date(d))
            }
            Tok::Geom(g) => {
                self.bump();
                literal(Literal::Geom(g))
            }
            Tok::Ident { name, quoted: false }
                if name.eq_ignore_ascii_case("true") || name.eq_ignore_ascii_case("false") =>
            {
                self.bump();
                literal(Literal::Bool(name.eq_ignore_ascii_case("true")))
            }
            Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case("null") => {
                self.bump();
                literal(Literal::Null)
            }
            Tok::Ident { name, quoted: false } if self.peek_at(1) == &Tok::LParen => {
                self.call(name.to_ascii_lowercase())
            }
            Tok::Ident { name, quoted } => {
                if !quoted && STRUCTURAL.iter().any(|k| name.eq_ignore_ascii_case(k)) {
                    return Err(
                        self.err("a field name, a value or a function (back-quote reserved words used as names)")
                    );
                }
                self.bump();
                let mut path = vec![name];
                let mut end = span;
                while self.peek() == &Tok::Dot {
                    self.bump();
                    match self.peek().clone() {
                        Tok::Ident { name, .. } => {
                            end = self.bump().span;
                            path.push(name);
                        }
                        _ => return Err(self.err("a name after `.`")),
                    }
                }
                Ok(Expr::Field { path, span: span.to(end) })
            }
            Tok::LParen => {
                self.bump();
                self.enter()?;
                let inner = self.expr()?;
                self.leave();
                self.expect(Tok::RParen, "`)`")?;
                Ok(inner)
            }
            _ => Err(self.err("a field name, a value or a function")),
        }
    }

    fn call(&mut self, name: String) -> Result<Expr> {
        let start = self.bump().span;
        self.bump(); // (
        self.enter()?;
        let mut args = vec![];
        if self.peek() != &Tok::RParen {
            loop {
                self.arg(&mut args)?;
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let end = self.expect(Tok::RParen, "`,` or `)`")?.span;
        self.leave();
        Ok(Expr::Call { name, args, span: start.to(end) })
    }

    fn arg(&mut self, args: &mut Vec<Arg>) -> Result<()> {
        // v2.0 RANGE(f, ]10, 50[): brackets around the bounds.
        if matches!(self.peek(), Tok::LBracket | Tok::RBracket) {
            let t = self.bump();
            args.push(Arg::Bracket { open: t.tok == Tok::LBracket, span: t.span });
        }
        let span = self.span();
        match self.peek().clone() {
            Tok::Star => {
                self.bump();
                args.push(Arg::Star(span));
            }
            Tok::Ident { name, quoted: false } if self.peek_at(1) == &Tok::Eq => {
                self.bump();
                self.bump();
                let negative = self.eat(&Tok::Minus);
                if !negative {
                    self.eat(&Tok::Plus);
                }
                let Tok::Num(n) = self.peek().clone() else { return Err(self.err("a whole number")) };
                let end = self.bump().span;
                let v: f64 = n.parse().map_err(|_| self.err("a number"))?;
                args.push(Arg::Named {
                    name: name.to_ascii_lowercase(),
                    value: if negative { -v } else { v },
                    span: span.to(end),
                });
            }
            Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case("distinct") => {
                self.bump();
                args.push(Arg::Distinct(self.expr()?));
            }
            Tok::Num(n)
                if matches!(self.peek_at(1), Tok::Ident { quoted: false, .. })
                    && matches!(self.peek_at(2), Tok::Comma | Tok::RParen | Tok::LBracket | Tok::RBracket) =>
            {
                self.bump();
                let Tok::Ident { name: unit, .. } = self.peek().clone() else { unreachable!("checked above") };
                let end = self.bump().span;
                let value: f64 = n.parse().map_err(|_| self.err("a number"))?;
                args.push(Arg::Quantity { value, unit, span: span.to(end) });
            }
            _ => args.push(Arg::Expr(self.expr()?)),
        }
        if matches!(self.peek(), Tok::LBracket | Tok::RBracket) {
            let t = self.bump();
            args.push(Arg::Bracket { open: t.tok == Tok::LBracket, span: t.span });
        }
        Ok(())
    }

    fn alias(&mut self) -> Result<Option<String>> {
        if !self.eat_kw("as") {
            return Ok(None);
        }
        match self.peek().clone() {
            Tok::Ident { name, .. } | Tok::Str(name) => {
                self.bump();
                Ok(Some(name))
            }
            _ => Err(self.err("a name after AS")),
        }
    }
}

/// Parses a `where` clause (or a `refine`-style condition).
pub fn parse_where(src: &str) -> Result<Cond> {
    let mut p = Parser::new(src)?;
    if p.peek() == &Tok::Eof {
        return Err(p.err("a condition"));
    }
    let c = p.or()?;
    p.finish()?;
    Ok(c)
}

pub fn parse_select(src: &str) -> Result<Vec<SelectItem>> {
    let mut p = Parser::new(src)?;
    let mut items = vec![];
    loop {
        let start = p.span();
        match p.peek().clone() {
            Tok::Star => {
                p.bump();
                items.push(SelectItem::All(start));
            }
            Tok::Ident { name, quoted: false }
                if (name.eq_ignore_ascii_case("include") || name.eq_ignore_ascii_case("exclude"))
                    && p.peek_at(1) == &Tok::LParen =>
            {
                p.bump();
                p.bump();
                let mut patterns = vec![];
                loop {
                    let mut pattern = match p.peek().clone() {
                        Tok::Ident { name, .. } => {
                            p.bump();
                            name
                        }
                        Tok::Star => String::new(),
                        _ => return Err(p.err("a field name or pattern")),
                    };
                    if p.eat(&Tok::Star) {
                        pattern.push('*');
                    }
                    patterns.push(pattern);
                    if !p.eat(&Tok::Comma) {
                        break;
                    }
                }
                let end = p.expect(Tok::RParen, "`,` or `)`")?.span;
                let span = start.to(end);
                items.push(if name.eq_ignore_ascii_case("include") {
                    SelectItem::Include { patterns, span }
                } else {
                    SelectItem::Exclude { patterns, span }
                });
            }
            _ => {
                let expr = p.expr()?;
                let text = p.text(expr.span());
                let alias = p.alias()?;
                let span = Span::new(start.start, p.prev_end());
                items.push(SelectItem::Expr { expr, alias, text, span });
            }
        }
        if !p.eat(&Tok::Comma) {
            break;
        }
    }
    p.finish()?;
    Ok(items)
}

pub fn parse_group_by(src: &str) -> Result<Vec<GroupItem>> {
    let mut p = Parser::new(src)?;
    let mut items = vec![];
    loop {
        let expr = p.expr()?;
        let text = p.text(expr.span());
        let alias = p.alias()?;
        items.push(GroupItem { expr, alias, text });
        if !p.eat(&Tok::Comma) {
            break;
        }
    }
    p.finish()?;
    Ok(items)
}

pub fn parse_order_by(src: &str) -> Result<Vec<OrderItem>> {
    let mut p = Parser::new(src)?;
    let mut items = vec![];
    loop {
        // `-field` is a courtesy spelling of `field DESC`.
        let minus = p.peek() == &Tok::Minus && matches!(p.peek_at(1), Tok::Ident { .. });
        if minus {
            p.bump();
        }
        let expr = p.expr()?;
        let text = p.text(expr.span());
        let mut descending = minus;
        if p.eat_kw("desc") {
            descending = true;
        } else if p.eat_kw("asc") {
            descending = false;
        }
        items.push(OrderItem { expr, descending, text });
        if !p.eat(&Tok::Comma) {
            break;
        }
    }
    p.finish()?;
    Ok(items)
}
