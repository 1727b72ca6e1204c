//! Coarse classification of a User-Agent: browser family and major version, OS family, device
//! class, robot or not. Only these labels are kept, never the string itself (AN-5).

const BOTS: &str = include_str!("bots.txt");

pub fn is_bot(ua: &str) -> bool {
    if ua.trim().is_empty() {
        return true;
    }
    let ua = ua.to_ascii_lowercase();
    BOTS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).any(|fragment| ua.contains(fragment))
}

fn major_after<'a>(ua: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &ua[ua.find(marker)? + marker.len()..];
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// `Firefox 140`, `Chrome 131`, `Safari 18`, … or `Other`.
pub fn browser(ua: &str) -> String {
    let families = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("FxiOS/", "Firefox"),
    ];
    for (marker, family) in families {
        if let Some(major) = major_after(ua, marker) {
            return format!("{family} {major}");
        }
    }
    if ua.contains("Safari/") {
        if let Some(major) = major_after(ua, "Version/") {
            return format!("Safari {major}");
        }
    }
    "Other".to_owned()
}

pub fn system(ua: &str) -> &'static str {
    if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") {
        "iOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "Other"
    }
}

pub fn device(ua: &str) -> &'static str {
    if ua.contains("iPad") || ua.contains("Tablet") || (ua.contains("Android") && !ua.contains("Mobile")) {
        "tablet"
    } else if ua.contains("Mobi") || ua.contains("iPhone") {
        "mobile"
    } else {
        "desktop"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    const CHROME_ANDROID: &str =
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    const SAFARI_IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86";

    #[test]
    fn browsers_systems_and_devices_are_recognised() {
        assert_eq!((browser(FIREFOX), system(FIREFOX), device(FIREFOX)), ("Firefox 140".into(), "Linux", "desktop"));
        assert_eq!(
            (browser(CHROME_ANDROID), system(CHROME_ANDROID), device(CHROME_ANDROID)),
            ("Chrome 131".into(), "Android", "mobile")
        );
        assert_eq!(
            (browser(SAFARI_IPAD), system(SAFARI_IPAD), device(SAFARI_IPAD)),
            ("Safari 17".into(), "iOS", "tablet")
        );
        assert_eq!((browser(EDGE), system(EDGE)), ("Edge 131".into(), "Windows"));
        assert_eq!(browser("something"), "Other");
    }

    #[test]
    fn robots_and_tools_are_not_visitors() {
        // spec: AN-3
        for ua in [
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
            "curl/8.5.0",
            "python-requests/2.32",
            "",
            "Mozilla/5.0 HeadlessChrome/131",
        ] {
            assert!(is_bot(ua), "{ua}");
        }
        assert!(!is_bot(FIREFOX) && !is_bot(EDGE));
    }
}
