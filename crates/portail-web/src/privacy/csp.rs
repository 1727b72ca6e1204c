//! The Content-Security-Policy of an HTML response, built from the visitor's choices (TP-2):
//! `'self'` only until a purpose is granted, then the granted integrations' origins in the
//! directives they need. Never a wildcard or `'unsafe-eval'` in a fetch directive.

use super::consent::{ConsentState, PortalPrivacy};

const FETCH_DIRECTIVES: [(&str, &str); 9] = [
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("media-src", "'self'"),
    ("frame-src", "'self'"),
    ("worker-src", "'self'"),
];

/// Where the page may be framed: only by itself, except embed routes meant for other sites (TP-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    SameOrigin,
    Anyone,
}

pub fn policy(privacy: Option<(&PortalPrivacy, &ConsentState)>, framing: Framing) -> String {
    let mut parts = vec![];
    for (directive, base) in FETCH_DIRECTIVES {
        let mut sources = vec![base.to_owned()];
        if let Some((privacy, state)) = privacy {
            for integration in privacy.integrations.iter().filter(|i| state.grants(i.key())) {
                if integration.kind.directives.contains(&directive) && !sources.contains(&integration.config.origin) {
                    sources.push(integration.config.origin.clone());
                }
            }
        }
        parts.push(format!("{directive} {}", sources.join(" ")));
    }
    parts.push("object-src 'none'".into());
    parts.push("base-uri 'self'".into());
    parts.push("form-action 'self'".into());
    parts.push(match framing {
        Framing::SameOrigin => "frame-ancestors 'self'".into(),
        Framing::Anyone => "frame-ancestors *".into(),
    });
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use portail_core::Localized;
    use portail_store::privacy::{IntegrationConfig, PrivacySettings};

    #[test]
    fn only_granted_origins_appear_and_only_in_their_directives() {
        // spec: TP-2
        let settings = PrivacySettings {
            integrations: vec![IntegrationConfig {
                kind: "video".into(),
                vendor: "Tube".into(),
                origin: "https://tube.example".into(),
                privacy_url: "https://tube.example/p".into(),
                cookies: vec![],
                enabled_at: 0,
                resource: String::new(),
            }],
            ..Default::default()
        };
        let _ = Localized::default();
        let privacy = PortalPrivacy::new(settings, &[1; 32], 1);
        let refused = ConsentState::default();
        let before = policy(Some((&privacy, &refused)), Framing::SameOrigin);
        assert!(!before.contains("tube.example"));
        let mut granted = ConsentState::default();
        granted.granted.insert("video");
        let after = policy(Some((&privacy, &granted)), Framing::SameOrigin);
        let frame = after.split("; ").find(|d| d.starts_with("frame-src")).unwrap();
        assert_eq!(frame, "frame-src 'self' https://tube.example");
        let script = after.split("; ").find(|d| d.starts_with("script-src")).unwrap();
        assert_eq!(script, "script-src 'self'");
        for p in [&before, &after] {
            assert!(!p.contains("unsafe-eval") && !p.contains(" * ") && p.ends_with("frame-ancestors 'self'"));
        }
        assert!(policy(None, Framing::Anyone).ends_with("frame-ancestors *"));
    }
}
