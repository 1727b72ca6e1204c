//! Media types of the files portals serve (attachments, the files of `file` fields), by
//! extension. Types a browser would run as a page of the portal (HTML, SVG, XML) and unknown
//! ones are plain bytes.

pub fn mimetype(file_name: &str) -> &'static str {
    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "csv" => "text/csv",
        "txt" | "md" => "text/plain",
        "json" => "application/json",
        "geojson" => "application/geo+json",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xls" => "application/vnd.ms-excel",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "odp" => "application/vnd.oasis.opendocument.presentation",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "doc" => "application/msword",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ppt" => "application/vnd.ms-powerpoint",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pages_a_browser_would_run_are_plain_bytes() {
        assert_eq!(super::mimetype("Notice.PDF"), "application/pdf");
        for name in ["x.html", "x.svg", "x.xml", "x", "x.exe"] {
            assert_eq!(super::mimetype(name), "application/octet-stream", "{name}");
        }
    }
}
