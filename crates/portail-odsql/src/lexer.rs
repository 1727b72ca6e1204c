//! Tokens of ODSQL with their byte spans.

use crate::{ParseError, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name; `quoted` when written in back quotes (then never a keyword).
    Ident {
        name: String,
        quoted: bool,
    },
    Str(String),
    /// The number as written (sign excluded).
    Num(String),
    Date(String),
    Geom(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    DotDot,
    Star,
    Plus,
    Minus,
    Slash,
    Eq,
    Colon,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

impl Tok {
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident { name, .. } => name.clone(),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Num(n) => n.clone(),
            Tok::Date(d) => format!("date'{d}'"),
            Tok::Geom(g) => format!("geom'{g}'"),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::LBracket => "[".into(),
            Tok::RBracket => "]".into(),
            Tok::Comma => ",".into(),
            Tok::Dot => ".".into(),
            Tok::DotDot => "..".into(),
            Tok::Star => "*".into(),
            Tok::Plus => "+".into(),
            Tok::Minus => "-".into(),
            Tok::Slash => "/".into(),
            Tok::Eq => "=".into(),
            Tok::Colon => ":".into(),
            Tok::Ne => "!=".into(),
            Tok::Lt => "<".into(),
            Tok::Le => "<=".into(),
            Tok::Gt => ">".into(),
            Tok::Ge => ">=".into(),
            Tok::Eof => "end of input".into(),
        }
    }

    /// Whether this is the unquoted keyword `kw` (case-insensitive).
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case(kw))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

fn read_quoted(src: &str, start: usize, quote: char) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = src[start + quote.len_utf8()..].char_indices();
    while let Some((i, c)) = chars.next() {
        let at = start + quote.len_utf8() + i;
        if c == quote {
            return Ok((out, at + c.len_utf8()));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else { break };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'u' => {
                let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                let c = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).ok_or_else(|| {
                    ParseError::new(
                        src,
                        Span::new(at, at + 2 + hex.len()),
                        "an invalid \\u escape",
                        "four hexadecimal digits after \\u",
                    )
                })?;
                out.push(c);
            }
            other => out.push(other),
        }
    }
    Err(ParseError::new(src, Span::new(start, src.len()), "an unterminated quote", &format!("a closing {quote}")))
}

pub fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut out = vec![];
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < src.len() {
        let c = src[i..].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let simple = |t: Tok, len: usize| (t, start + len);
        let (tok, end) = match c {
            '(' => simple(Tok::LParen, 1),
            ')' => simple(Tok::RParen, 1),
            '[' => simple(Tok::LBracket, 1),
            ']' => simple(Tok::RBracket, 1),
            ',' => simple(Tok::Comma, 1),
            '*' => simple(Tok::Star, 1),
            '+' => simple(Tok::Plus, 1),
            '-' => simple(Tok::Minus, 1),
            '/' => simple(Tok::Slash, 1),
            '=' => simple(Tok::Eq, if bytes.get(i + 1) == Some(&b'=') { 2 } else { 1 }),
            ':' => simple(Tok::Colon, 1),
            '!' if bytes.get(i + 1) == Some(&b'=') => simple(Tok::Ne, 2),
            '<' if bytes.get(i + 1) == Some(&b'=') => simple(Tok::Le, 2),
            '<' if bytes.get(i + 1) == Some(&b'>') => simple(Tok::Ne, 2),
            '<' => simple(Tok::Lt, 1),
            '>' if bytes.get(i + 1) == Some(&b'=') => simple(Tok::Ge, 2),
            '>' => simple(Tok::Gt, 1),
            '.' if bytes.get(i + 1) == Some(&b'.') => simple(Tok::DotDot, 2),
            '.' => simple(Tok::Dot, 1),
            '"' | '\'' => {
                let (s, end) = read_quoted(src, i, c)?;
                (Tok::Str(s), end)
            }
            '`' => {
                let (s, end) = read_quoted(src, i, '`')?;
                (Tok::Ident { name: s, quoted: true }, end)
            }
            c if c.is_ascii_digit() => {
                let mut j = i;
                while j < src.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                // A fraction, but not the `..` of a range.
                if j + 1 < src.len() && bytes[j] == b'.' && bytes[j + 1].is_ascii_digit() {
                    j += 1;
                    while j < src.len() && bytes[j].is_ascii_digit() {
                        j += 1;
                    }
                }
                (Tok::Num(src[i..j].to_owned()), j)
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i;
                for (k, ch) in src[i..].char_indices() {
                    if ch.is_alphanumeric() || ch == '_' {
                        j = i + k + ch.len_utf8();
                    } else {
                        break;
                    }
                }
                let word = &src[i..j];
                // date'…' and geom'…' literals (the prefix is case-insensitive).
                if (word.eq_ignore_ascii_case("date") || word.eq_ignore_ascii_case("geom"))
                    && matches!(bytes.get(j), Some(b'\'') | Some(b'"'))
                {
                    let quote = bytes[j] as char;
                    let (s, end) = read_quoted(src, j, quote)?;
                    let tok = if word.eq_ignore_ascii_case("date") { Tok::Date(s) } else { Tok::Geom(s) };
                    (tok, end)
                } else {
                    (Tok::Ident { name: word.to_owned(), quoted: false }, j)
                }
            }
            other => {
                return Err(ParseError::new(
                    src,
                    Span::new(i, i + other.len_utf8()),
                    &format!("`{other}`"),
                    "an expression",
                ));
            }
        };
        out.push(Token { tok, span: Span::new(start, end) });
        i = end;
    }
    out.push(Token { tok: Tok::Eof, span: Span::new(src.len(), src.len()) });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn literals_and_operators() {
        assert_eq!(
            toks("a>=1.5 and b != 'x\\'y' or `and`:date'2020'"),
            vec![
                Tok::Ident { name: "a".into(), quoted: false },
                Tok::Ge,
                Tok::Num("1.5".into()),
                Tok::Ident { name: "and".into(), quoted: false },
                Tok::Ident { name: "b".into(), quoted: false },
                Tok::Ne,
                Tok::Str("x'y".into()),
                Tok::Ident { name: "or".into(), quoted: false },
                Tok::Ident { name: "and".into(), quoted: true },
                Tok::Colon,
                Tok::Date("2020".into()),
                Tok::Eof
            ]
        );
        assert_eq!(toks("[1..10]")[1..4], [Tok::Num("1".into()), Tok::DotDot, Tok::Num("10".into())]);
        assert_eq!(toks("\"caf\\u00e9\"")[0], Tok::Str("café".into()));
        assert_eq!(toks("GEOM'POINT(2 48)'")[0], Tok::Geom("POINT(2 48)".into()));
        assert_eq!(toks("10km")[..2], [Tok::Num("10".into()), Tok::Ident { name: "km".into(), quoted: false }]);
    }

    #[test]
    fn spans_are_byte_offsets() {
        let t = lex("é = 'x'").unwrap();
        assert_eq!((t[0].span.start, t[0].span.end), (0, 2));
        assert_eq!((t[2].span.start, t[2].span.end), (5, 8));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = lex("a = 'open").unwrap_err();
        assert_eq!(e.position, 4);
        let e = lex("a # b").unwrap_err();
        assert_eq!(e.position, 2);
        assert!(e.to_string().contains("`#`"), "{e}");
    }
}
