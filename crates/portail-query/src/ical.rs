//! iCalendar export (`ical`, RFC 5545): one `VEVENT` per record that has a start. Opendatasoft
//! takes the event's fields from a calendar view portail has not, so they are chosen from the
//! schema: the start is the first date or datetime field whose name says so (`debut`, `start`,
//! `begin`…), else the first one; the end a field named like `fin`, `end` or `until`; the summary
//! the first text field; the other fields become the description's `label: value` lines.

use crate::bind::Kind;
use crate::encode::Column;
use crate::QueryError;
use portail_core::time::civil_from_days;
use portail_core::FieldType;
use sha2::{Digest, Sha256};

pub(crate) const ICAL_HEAD: &[u8] =
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//portail//Explore API//EN\r\nCALSCALE:GREGORIAN\r\n";
pub(crate) const ICAL_TAIL: &[u8] = b"END:VCALENDAR\r\n";

/// Which exported columns make the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventFields {
    pub start: usize,
    pub end: Option<usize>,
    pub summary: Option<usize>,
}

fn is_date(kind: Kind) -> bool {
    matches!(kind, Kind::Field(FieldType::Date | FieldType::Datetime))
}

/// The event's fields among the exported `outputs`; `None` when none is a date.
pub(crate) fn event_fields(outputs: &[(String, Kind)]) -> Option<EventFields> {
    let dates: Vec<usize> = (0..outputs.len()).filter(|i| is_date(outputs[*i].1)).collect();
    let named = |words: &[&str]| {
        dates.iter().copied().find(|i| {
            let name = outputs[*i].0.to_lowercase();
            words.iter().any(|w| name.contains(w))
        })
    };
    let start = named(&["debut", "début", "start", "begin", "from", "ouverture"]).or(dates.first().copied())?;
    let end = named(&["fin", "end", "until", "cloture", "clôture"]).filter(|e| *e != start);
    let summary = (0..outputs.len()).find(|i| matches!(outputs[*i].1, Kind::Field(FieldType::Text) | Kind::Text));
    Some(EventFields { start, end, summary })
}

/// RFC 5545 TEXT: backslashes, semicolons, commas and line ends escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets (never inside a character), ended by CRLF.
fn line(text: &str, out: &mut Vec<u8>) {
    let mut width = 0;
    for c in text.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.extend_from_slice(b"\r\n ");
            width = 1;
        }
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        width += n;
    }
    out.extend_from_slice(b"\r\n");
}

fn day(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

/// `DTSTART;VALUE=DATE:20240502` or `DTSTART:20240502T093000Z`; `None` for a null value.
/// An all-day end is exclusive in iCalendar, so a last day `d` is written as `d + 1`.
fn instant(name: &str, column: &Column, row: usize, end: bool) -> Option<String> {
    if column.is_null(row) {
        return None;
    }
    match column {
        Column::Date(a) => Some(format!("{name};VALUE=DATE:{}", day(a.value(row) + i32::from(end)))),
        Column::Micros(a, _) => Some(format!("{name}:{}", utc(a.value(row)))),
        _ => None,
    }
}

/// One record as a `VEVENT`, or nothing when it has no start. `stamp` is the export's
/// `DTSTAMP` (`20261202T101500Z`).
pub(crate) fn ical_event(
    fields: &EventFields,
    names: &[String],
    columns: &[Column],
    row: usize,
    stamp: &str,
    out: &mut Vec<u8>,
) -> Result<(), QueryError> {
    let Some(start) = instant("DTSTART", &columns[fields.start], row, false) else { return Ok(()) };
    let mut body = vec![start];
    if let Some(end) = fields.end.and_then(|e| instant("DTEND", &columns[e], row, true)) {
        body.push(end);
    }
    let mut text = vec![];
    if let Some(s) = fields.summary {
        columns[s].csv_text(row, &mut text)?;
        body.push(format!("SUMMARY:{}", escape(&String::from_utf8_lossy(&text))));
    }
    let mut description = vec![];
    for (i, column) in columns.iter().enumerate() {
        if i == fields.start || Some(i) == fields.end || Some(i) == fields.summary || column.is_null(row) {
            continue;
        }
        text.clear();
        column.csv_text(row, &mut text)?;
        description.push(format!("{}: {}", names[i], String::from_utf8_lossy(&text)));
    }
    if !description.is_empty() {
        body.push(format!("DESCRIPTION:{}", escape(&description.join("\n"))));
    }
    // The same record gives the same identifier from one export to the next.
    let digest = Sha256::digest(body.join("\n").as_bytes());
    let uid: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    line("BEGIN:VEVENT", out);
    line(&format!("UID:{uid}@portail"), out);
    line(&format!("DTSTAMP:{stamp}"), out);
    for l in &body {
        line(l, out);
    }
    line("END:VEVENT", out);
    Ok(())
}

/// An instant in iCalendar's UTC form, `20240502T093000Z`.
fn utc(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let of_day = secs.rem_euclid(86_400);
    format!("{}T{:02}{:02}{:02}Z", day(secs.div_euclid(86_400) as i32), of_day / 3600, of_day / 60 % 60, of_day % 60)
}

/// The export's `DTSTAMP`: now.
pub(crate) fn stamp() -> String {
    utc(crate::time::now_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_chosen_by_name_then_by_type() {
        let f = |n: &str, t| (n.to_owned(), Kind::Field(t));
        let outputs = [
            f("titre", FieldType::Text),
            f("maj", FieldType::Datetime),
            f("date_debut", FieldType::Date),
            f("date_fin", FieldType::Date),
        ];
        assert_eq!(event_fields(&outputs), Some(EventFields { start: 2, end: Some(3), summary: Some(0) }));
        assert_eq!(event_fields(&outputs[..2]), Some(EventFields { start: 1, end: None, summary: Some(0) }));
        assert_eq!(event_fields(&outputs[..1]), None, "no date, no calendar");
    }

    #[test]
    fn instants_are_written_in_utc() {
        assert_eq!(utc(1_714_642_200_000_000), "20240502T093000Z");
        assert_eq!(utc(-1_000_000), "19691231T235959Z");
    }

    #[test]
    fn text_is_escaped_and_lines_folded_on_characters() {
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
        let mut out = vec![];
        line(&format!("SUMMARY:{}", "é".repeat(40)), &mut out);
        let text = String::from_utf8(out).expect("folded between characters");
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(lines[0].len() <= 75 && lines[1].starts_with(' ') && lines[1].len() <= 75, "{lines:?}");
        assert_eq!(text.replace("\r\n ", ""), format!("SUMMARY:{}\r\n", "é".repeat(40)));
    }
}
