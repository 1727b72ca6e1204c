//! Data archives: a ZIP holding one data file (CSV, spreadsheet, JSON, GeoJSON) and the files
//! its records point to — photos of trees, plans of buildings, PDF minutes. A column whose every
//! value names a file of the archive becomes a `file` field (Opendatasoft's type for images and
//! documents in records). The files are stored once each, by the digest of their content, and
//! described (name, type, dimensions of images) for the records.
//!
//! A spreadsheet is a ZIP too: an archive is a ZIP that is not an XLSX or ODS document.

use crate::IngestError;
use serde_json::json;
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Extensions of the data file inside an archive.
const DATA_EXTENSIONS: [&str; 9] = ["csv", "txt", "tsv", "json", "jsonl", "ndjson", "geojson", "xlsx", "ods"];

/// Most bytes an archive may unpack to (guards against ZIP bombs).
const MAX_UNPACKED: u64 = 8 << 30;

/// One file of an archive, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFile {
    /// 32 hex digits of the content's SHA-1: the `files/{id}` of the API.
    pub id: String,
    /// The name in the archive, without its folders.
    pub filename: String,
    pub mimetype: String,
    /// The description a `file` value carries (without its URL, which depends on the portal).
    pub description: String,
}

/// What unpacking gives: the data file and, by their path in the archive and by their bare
/// name when no other file has it, the files stored in `files_dir`.
#[derive(Debug)]
pub struct Unpacked {
    pub data_file: PathBuf,
    pub files: BTreeMap<String, StoredFile>,
}

/// Whether `path` is a data archive: a ZIP that is not a spreadsheet.
pub fn is_archive(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let zip = File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head == *b"PK\x03\x04";
    if !zip {
        return false;
    }
    let Ok(archive) = File::open(path).map_err(|_| ()).and_then(|f| zip::ZipArchive::new(f).map_err(|_| ())) else {
        return false;
    };
    let spreadsheet = archive.file_names().flatten().any(|n| n == "[Content_Types].xml" || n == "mimetype");
    !spreadsheet
}

fn extension(name: &str) -> String {
    name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
}

/// Unpacks `archive`: the data file into `work_dir`, every other file into `files_dir` under its
/// id. Refuses archives with no data file, or several, naming them.
pub fn unpack(archive: &Path, work_dir: &Path, files_dir: &Path) -> Result<Unpacked, IngestError> {
    let label = crate::source::label(archive);
    let bad = |reason: String| IngestError::unreadable(&label, reason);
    let file = File::open(archive).map_err(|e| bad(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(format!("not a readable ZIP archive: {e}")))?;
    let mut entries = vec![];
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| bad(format!("entry {}: {e}", i + 1)))?;
        if entry.is_dir() {
            continue;
        }
        // Names that would leave the archive's folder (`../x`, `/etc/x`) are refused.
        let Some(path) = entry.enclosed_name() else {
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            return Err(bad(format!("the entry `{name}` has an unsafe path")));
        };
        let name = path.to_string_lossy().replace('\\', "/");
        // Folders of system metadata (macOS's __MACOSX, ._ files) are not the publisher's.
        if name.starts_with("__MACOSX/") || name.rsplit('/').next().is_some_and(|n| n.starts_with("._")) {
            continue;
        }
        entries.push((i, name));
    }
    let data: Vec<&(usize, String)> =
        entries.iter().filter(|(_, n)| DATA_EXTENSIONS.contains(&extension(n).as_str())).collect();
    let (data_index, data_name) = match data.as_slice() {
        [one] => (*one).clone(),
        [] => {
            return Err(bad(format!(
                "the archive holds no data file (a .csv, .xlsx, .ods, .json or .geojson beside the files): it has {}",
                list(entries.iter().map(|(_, n)| n.as_str()))
            )))
        }
        many => {
            return Err(bad(format!(
                "the archive holds several data files ({}): keep one, with the files its records point to",
                list(many.iter().map(|(_, n)| n.as_str()))
            )))
        }
    };
    std::fs::create_dir_all(work_dir).map_err(|e| bad(e.to_string()))?;
    std::fs::create_dir_all(files_dir).map_err(|e| bad(e.to_string()))?;
    let mut budget = MAX_UNPACKED;
    let bare = data_name.rsplit('/').next().unwrap_or(&data_name).to_owned();
    let data_file = work_dir.join(&bare);
    {
        let mut entry = zip.by_index(data_index).map_err(|e| bad(e.to_string()))?;
        let mut out = File::create(&data_file).map_err(|e| bad(e.to_string()))?;
        copy_limited(&mut entry, &mut out, &mut budget, &data_name).map_err(bad)?;
    }
    let mut stored: Vec<(String, StoredFile)> = vec![];
    for (index, name) in entries.iter().filter(|(i, _)| *i != data_index) {
        let mut entry = zip.by_index(*index).map_err(|e| bad(e.to_string()))?;
        let temp = files_dir.join(".incoming");
        let mut out = File::create(&temp).map_err(|e| bad(e.to_string()))?;
        let mut hashing = Hashing { out: &mut out, hasher: Sha1::new(), head: Vec::new() };
        copy_limited(&mut entry, &mut hashing, &mut budget, name).map_err(bad)?;
        let (digest, head) = (hashing.hasher.finalize(), hashing.head);
        let id: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        std::fs::rename(&temp, files_dir.join(&id)).map_err(|e| bad(e.to_string()))?;
        let filename = name.rsplit('/').next().unwrap_or(name).to_owned();
        stored.push((name.clone(), describe(&id, &filename, &head)));
    }
    let mut files = BTreeMap::new();
    for (name, file) in &stored {
        files.insert(name.clone(), file.clone());
    }
    // Bare names too (`photo.jpg` for `images/photo.jpg`), unless two files share one.
    for (name, file) in &stored {
        let count = stored.iter().filter(|(_, f)| f.filename == file.filename).count();
        if count == 1 && name != &file.filename {
            files.entry(file.filename.clone()).or_insert_with(|| file.clone());
        }
    }
    Ok(Unpacked { data_file, files })
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.len() {
        0 => "nothing".into(),
        n if n > 5 => format!("{}, … ({n} files)", names[..5].join(", ")),
        _ => names.join(", "),
    }
}

/// Copies, counting against the archive's unpacking budget.
fn copy_limited(from: &mut impl Read, to: &mut impl Write, budget: &mut u64, name: &str) -> Result<(), String> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = from.read(&mut buf).map_err(|e| format!("{name}: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        *budget = budget
            .checked_sub(n as u64)
            .ok_or_else(|| format!("the archive unpacks to more than {} GiB", MAX_UNPACKED >> 30))?;
        to.write_all(&buf[..n]).map_err(|e| format!("{name}: {e}"))?;
    }
}

/// A writer that hashes what it writes and keeps the first bytes (to read image headers).
struct Hashing<'a> {
    out: &'a mut File,
    hasher: Sha1,
    head: Vec<u8>,
}

/// Bytes kept to find an image's size: JPEG headers can carry large EXIF blocks first.
const HEAD_BYTES: usize = 256 * 1024;

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hasher.update(&buf[..n]);
        let room = HEAD_BYTES.saturating_sub(self.head.len()).min(n);
        self.head.extend_from_slice(&buf[..room]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The description of one stored file: as Opendatasoft's file values, the image's format and
/// dimensions when it is one (`thumbnail`: a picture a page can show).
fn describe(id: &str, filename: &str, head: &[u8]) -> StoredFile {
    let image = image_size(head);
    let (format, mimetype) = match image {
        Some((format, ..)) => (Some(format.to_owned()), format!("image/{}", format.to_ascii_lowercase())),
        None => (None, portail_core::media::mimetype(filename).to_owned()),
    };
    let mut value = json!({"id": id, "filename": filename});
    if let Some(format) = format {
        value["format"] = json!(format);
    }
    value["mimetype"] = json!(mimetype);
    if let Some((_, width, height)) = image {
        value["width"] = json!(width);
        value["height"] = json!(height);
    }
    value["thumbnail"] = json!(image.is_some());
    StoredFile { id: id.to_owned(), filename: filename.to_owned(), mimetype, description: value.to_string() }
}

/// The format and size of a PNG, GIF, JPEG or WebP picture from its first bytes.
fn image_size(b: &[u8]) -> Option<(&'static str, u32, u32)> {
    let be16 = |i: usize| Some(u32::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?])));
    let le16 = |i: usize| Some(u32::from(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?])));
    let be32 = |i: usize| Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?));
    let le24 = |i: usize| Some(u32::from_le_bytes([*b.get(i)?, *b.get(i + 1)?, *b.get(i + 2)?, 0]));
    if b.starts_with(b"\x89PNG\r\n\x1a\n") && b.get(12..16) == Some(b"IHDR") {
        return Some(("PNG", be32(16)?, be32(20)?));
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some(("GIF", le16(6)?, le16(8)?));
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        return match b.get(12..16)? {
            b"VP8 " => Some(("WEBP", le16(26)? & 0x3fff, le16(28)? & 0x3fff)),
            b"VP8L" => {
                let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
                Some(("WEBP", (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8X" => Some(("WEBP", le24(24)? + 1, le24(27)? + 1)),
            _ => None,
        };
    }
    if b.starts_with(&[0xFF, 0xD8]) {
        // Segments until a start of frame (SOF0–SOF15 but DHT, JPG and DAC), which holds the size.
        let mut i = 2;
        while i + 9 < b.len() {
            if b[i] != 0xFF {
                return None;
            }
            let marker = b[i + 1];
            if marker == 0xFF {
                i += 1;
                continue;
            }
            if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
                return Some(("JPEG", be16(i + 7)?, be16(i + 5)?));
            }
            i += 2 + be16(i + 2)? as usize;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 PNG, 3×2 as its header says.
    pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn image_headers_give_format_and_size() {
        assert_eq!(image_size(&png(816, 1054)), Some(("PNG", 816, 1054)));
        assert_eq!(image_size(b"GIF89a\x20\x03\x58\x02rest"), Some(("GIF", 800, 600)));
        // A JPEG with an APP0 segment, then SOF0 with height 480 and width 640.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend_from_slice(&[0; 14]);
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03, 0, 0, 0, 0, 0, 0]);
        assert_eq!(image_size(&jpeg), Some(("JPEG", 640, 480)));
        assert_eq!(image_size(b"%PDF-1.7"), None);
    }

    #[test]
    fn documents_are_described_by_their_extension() {
        let pdf = describe("ab", "compte-rendu.PDF", b"%PDF-1.7");
        assert_eq!(pdf.mimetype, "application/pdf");
        assert_eq!(
            pdf.description,
            r#"{"id":"ab","filename":"compte-rendu.PDF","mimetype":"application/pdf","thumbnail":false}"#
        );
        let photo = describe("cd", "M099.png", &png(3, 2));
        assert_eq!(
            photo.description,
            r#"{"id":"cd","filename":"M099.png","format":"PNG","mimetype":"image/png","width":3,"height":2,"thumbnail":true}"#
        );
    }

    fn zip_of(dir: &Path, entries: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join("a.zip");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        for (name, bytes) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    #[test]
    fn unpacking_finds_the_data_file_and_stores_the_others_once() {
        let dir = tempfile::tempdir().unwrap();
        let picture = png(3, 2);
        let zip = zip_of(
            dir.path(),
            &[("data/arbres.csv", b"nom;photo\nA;a.png\n"), ("img/a.png", &picture), ("copie/a.png", &picture)],
        );
        assert!(is_archive(&zip));
        let unpacked = unpack(&zip, &dir.path().join("work"), &dir.path().join("files")).unwrap();
        assert_eq!(std::fs::read(&unpacked.data_file).unwrap(), b"nom;photo\nA;a.png\n");
        // Same content, same id; two files named a.png: the bare name finds neither.
        assert_eq!(unpacked.files["img/a.png"].id, unpacked.files["copie/a.png"].id);
        assert!(!unpacked.files.contains_key("a.png"));
        let stored: Vec<_> = std::fs::read_dir(dir.path().join("files")).unwrap().flatten().collect();
        assert_eq!(stored.len(), 1, "one copy of the content");
    }

    #[test]
    fn entries_leaving_the_archive_and_spreadsheets_are_not_archives_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let zip = zip_of(dir.path(), &[("d.csv", b"a\n1\n"), ("../../etc/x.png", b"x")]);
        let error = unpack(&zip, &dir.path().join("work"), &dir.path().join("files")).unwrap_err().to_string();
        assert!(error.contains("the entry `../../etc/x.png` has an unsafe path"), "{error}");
        let sheet = zip_of(dir.path(), &[("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<w/>")]);
        assert!(!is_archive(&sheet), "an XLSX is read as a spreadsheet");
    }
}
