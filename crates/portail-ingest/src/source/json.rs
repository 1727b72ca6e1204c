//! JSON arrays of objects and JSON Lines. Keys become fields in order of first appearance;
//! nested values are kept as JSON text. Arrays are read with a streaming visitor, so memory does
//! not grow with the file.

use super::{label, Position, RowFn, RowSource};
use crate::IngestError;
use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

pub struct JsonSource {
    path: PathBuf,
    file: String,
    lines: bool,
    headers: Vec<String>,
}

pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Calls `f` for each object of a top-level JSON array, streaming.
pub fn for_each_object(
    path: &Path,
    file: &str,
    f: &mut dyn FnMut(u64, Map<String, Value>) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    struct Objects<'a, 'b> {
        f: &'a mut dyn FnMut(u64, Map<String, Value>) -> Result<(), IngestError>,
        failure: &'b mut Option<IngestError>,
    }
    impl<'de> Visitor<'de> for Objects<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut n = 0;
            while let Some(value) = seq.next_element::<Value>()? {
                n += 1;
                let Value::Object(map) = value else {
                    return Err(A::Error::custom(format!("record {n} is not an object")));
                };
                if let Err(e) = (self.f)(n, map) {
                    *self.failure = Some(e);
                    return Err(A::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Objects<'_, '_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    let reader =
        BufReader::with_capacity(1 << 16, File::open(path).map_err(|e| IngestError::unreadable(file, e.to_string()))?);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut failure = None;
    let result = Objects { f, failure: &mut failure }.deserialize(&mut de).and_then(|_| de.end());
    if let Some(e) = failure {
        return Err(e);
    }
    result.map_err(|e| json_error(file, &e))
}

pub fn json_error(file: &str, e: &serde_json::Error) -> IngestError {
    if e.line() > 0 {
        IngestError::at(file, format!("line {}, column {}", e.line(), e.column()), format!("invalid JSON: {e}"))
    } else {
        IngestError::unreadable(file, format!("invalid JSON: {e}"))
    }
}

impl JsonSource {
    pub fn open(path: &Path, lines: bool) -> Result<JsonSource, IngestError> {
        let mut source = JsonSource { path: path.to_owned(), file: label(path), lines, headers: vec![] };
        // A first pass collects the keys, in order of first appearance.
        let mut headers: Vec<String> = vec![];
        source.for_each(&mut |_, map| {
            for key in map.keys() {
                if !headers.iter().any(|h| h == key) {
                    headers.push(key.clone());
                }
            }
            Ok(())
        })?;
        if headers.is_empty() {
            return Err(IngestError::unreadable(&source.file, "no record with any field"));
        }
        source.headers = headers;
        Ok(source)
    }

    fn for_each(
        &self,
        f: &mut dyn FnMut(Position, Map<String, Value>) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        if !self.lines {
            return for_each_object(&self.path, &self.file, &mut |n, map| f(Position::Record(n), map));
        }
        let reader =
            BufReader::new(File::open(&self.path).map_err(|e| IngestError::unreadable(&self.file, e.to_string()))?);
        for (i, line) in reader.lines().enumerate() {
            let line_no = i as u64 + 1;
            let line = line.map_err(|e| IngestError::at(&self.file, format!("line {line_no}"), e.to_string()))?;
            let text = line.trim().trim_start_matches('\u{feff}');
            if text.is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => f(Position::Line(line_no), map)?,
                Ok(_) => return Err(IngestError::at(&self.file, format!("line {line_no}"), "expected a JSON object")),
                Err(e) => {
                    return Err(IngestError::at(
                        &self.file,
                        format!("line {line_no}, column {}", e.column()),
                        format!("invalid JSON: {e}"),
                    ))
                }
            }
        }
        Ok(())
    }
}

impl RowSource for JsonSource {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn scan(&mut self, f: &mut RowFn<'_>) -> Result<(), IngestError> {
        let headers = self.headers.clone();
        self.for_each(&mut |pos, map| {
            let texts: Vec<String> = headers.iter().map(|h| map.get(h).map(value_text).unwrap_or_default()).collect();
            let cells: Vec<&str> = texts.iter().map(String::as_str).collect();
            f(pos, &cells)
        })
    }
}
