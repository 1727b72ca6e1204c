//! CSV with the habits of French exports: `;`, `,`, tab or `|` separators, UTF-8 (with or
//! without BOM), UTF-16 with BOM, or Windows-1252 / ISO-8859-1.

use super::{label, Position, RowFn, RowSource, SourceOptions};
use crate::IngestError;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

pub struct CsvSource {
    path: PathBuf,
    file: String,
    delimiter: u8,
    encoding: &'static Encoding,
    explicit_encoding: bool,
    headers: Vec<String>,
}

const SAMPLE: usize = 1 << 20;

fn sample(path: &Path, file: &str) -> Result<Vec<u8>, IngestError> {
    let mut buf = Vec::new();
    File::open(path)
        .and_then(|f| f.take(SAMPLE as u64).read_to_end(&mut buf))
        .map_err(|e| IngestError::unreadable(file, e.to_string()))?;
    Ok(buf)
}

/// UTF-8 if the sample is valid UTF-8 (a character cut at the sample's end is fine), else the
/// detector's guess, which for French text is Windows-1252.
fn detect_encoding(bytes: &[u8]) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return enc;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => UTF_8,
        Err(e) if e.error_len().is_none() && bytes.len() >= SAMPLE => UTF_8,
        Err(_) => {
            let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, true);
            let guess = detector.guess(Some(b"fr"), chardetng::Utf8Detection::Deny);
            if guess == UTF_8 {
                WINDOWS_1252
            } else {
                guess
            }
        }
    }
}

/// The separator that splits the first lines into the same, largest number of fields.
fn detect_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(20).collect();
    let count = |line: &str, d: char| -> usize {
        let mut in_quotes = false;
        let mut n = 0;
        for c in line.chars() {
            if c == '"' {
                in_quotes = !in_quotes;
            } else if c == d && !in_quotes {
                n += 1;
            }
        }
        n
    };
    let mut best = (b',', 0usize, false);
    for d in [';', ',', '\t', '|'] {
        let Some(first) = lines.first() else { break };
        let n = count(first, d);
        if n == 0 {
            continue;
        }
        // Quoted multi-line fields make later lines unreliable; only the header must agree.
        let consistent = lines.iter().skip(1).take(5).all(|l| count(l, d) == n);
        if (consistent, n) > (best.2, best.1) {
            best = (d as u8, n, consistent);
        }
    }
    best.0
}

impl CsvSource {
    pub fn open(path: &Path, options: &SourceOptions) -> Result<CsvSource, IngestError> {
        let file = label(path);
        let bytes = sample(path, &file)?;
        let (encoding, explicit_encoding) = match &options.encoding {
            Some(name) => (
                Encoding::for_label(name.as_bytes())
                    .ok_or_else(|| IngestError::unreadable(&file, format!("unknown encoding `{name}`")))?,
                true,
            ),
            None => (detect_encoding(&bytes), false),
        };
        let (text, _, _) = encoding.decode(&bytes);
        let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(&text));
        let mut source =
            CsvSource { path: path.to_owned(), file, delimiter, encoding, explicit_encoding, headers: vec![] };
        source.headers = source.read_headers()?;
        Ok(source)
    }

    fn reader(&self) -> Result<csv::Reader<Box<dyn Read>>, IngestError> {
        let f = File::open(&self.path).map_err(|e| IngestError::unreadable(&self.file, e.to_string()))?;
        let raw = BufReader::with_capacity(1 << 16, f);
        // The decoder strips a BOM and, for other encodings, transcodes to UTF-8 on the fly.
        let decoded: Box<dyn Read> = if self.encoding == UTF_8 {
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .bom_sniffing(true)
                    .utf8_passthru(true)
                    .strip_bom(true)
                    .build(raw),
            )
        } else {
            Box::new(encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(self.encoding)).build(raw))
        };
        Ok(csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(decoded))
    }

    fn csv_error(&self, e: csv::Error) -> IngestError {
        match e.position() {
            Some(p) => IngestError::at(&self.file, format!("line {}", p.line()), e.to_string()),
            None => IngestError::unreadable(&self.file, e.to_string()),
        }
    }

    fn read_headers(&self) -> Result<Vec<String>, IngestError> {
        let mut reader = self.reader()?;
        let mut record = csv::ByteRecord::new();
        let found = reader.read_byte_record(&mut record).map_err(|e| self.csv_error(e))?;
        if !found {
            return Err(IngestError::unreadable(&self.file, "the file is empty"));
        }
        record
            .iter()
            .map(|field| {
                std::str::from_utf8(field)
                    .map(|s| s.trim().to_owned())
                    .map_err(|_| IngestError::NotUtf8 { file: self.file.clone(), line: 1 })
            })
            .collect()
    }
}

impl RowSource for CsvSource {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn encoding(&self) -> Option<&'static str> {
        Some(self.encoding.name())
    }

    fn fixed_width(&self) -> bool {
        false
    }

    fn fall_back_encoding(&mut self) -> Result<bool, IngestError> {
        if self.explicit_encoding || self.encoding != UTF_8 {
            return Ok(false);
        }
        self.encoding = WINDOWS_1252;
        self.headers = self.read_headers()?;
        Ok(true)
    }

    fn scan(&mut self, f: &mut RowFn<'_>) -> Result<(), IngestError> {
        let mut reader = self.reader()?;
        let mut record = csv::ByteRecord::new();
        let mut first = true;
        let width = self.headers.len();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => return Err(self.csv_error(e)),
            }
            if first {
                first = false;
                continue;
            }
            let line = record.position().map_or(0, |p| p.line());
            // A line holding only separators-free blanks is not a record.
            if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let mut cells: Vec<&str> = Vec::with_capacity(width);
            for field in record.iter() {
                if field.contains(&0) {
                    return Err(IngestError::at(&self.file, format!("line {line}"), "NUL byte: binary data, not text"));
                }
                match std::str::from_utf8(field) {
                    Ok(s) => cells.push(s),
                    Err(_) => return Err(IngestError::NotUtf8 { file: self.file.clone(), line }),
                }
            }
            f(Position::Line(line), &cells)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected_from_the_header() {
        assert_eq!(detect_delimiter("a;b;c\n1;2;3\n"), b';');
        assert_eq!(detect_delimiter("a,b\n\"x,y\",2\n"), b',');
        assert_eq!(detect_delimiter("a\tb\tc\n1\t2\t3"), b'\t');
        assert_eq!(detect_delimiter("nom;valeur\n\"1,5\";2"), b';');
        assert_eq!(detect_delimiter("single"), b',');
    }

    #[test]
    fn windows_1252_is_recognised() {
        let (bytes, _, _) = WINDOWS_1252.encode("commune;libellé\nSaint-Étienne;Équipement sportif été\n");
        assert_eq!(detect_encoding(&bytes), WINDOWS_1252);
        assert_eq!(detect_encoding("commune;libellé\n".as_bytes()), UTF_8);
    }
}
