//! The one table of error codes. Every error a user can see maps to a row here; the web layer
//! turns a row into the Explore API's JSON body or a translated HTML page with the same status.
//! Where Opendatasoft defines an `error_code`, the wire string is theirs.

/// Kind of an error, which decides whether its message may be shown as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    InvalidRequest,
    Auth,
    Internal,
}

macro_rules! codes {
    ($($variant:ident => ($wire:literal, $status:literal, $kind:ident, $doc:literal)),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The `error_code` string sent on the wire.
            pub fn wire(self) -> &'static str { match self { $(Code::$variant => $wire),* } }
            pub fn status(self) -> u16 { match self { $(Code::$variant => $status),* } }
            pub fn kind(self) -> Kind { match self { $(Code::$variant => Kind::$kind),* } }
            /// One line for `docs/errors.md`.
            pub fn doc(self) -> &'static str { match self { $(Code::$variant => $doc),* } }
        }
    };
}

codes! {
    NotFound => ("NotFoundResource", 404, InvalidRequest, "The portal, page, dataset or record does not exist, or is not visible to the caller."),
    InvalidParameter => ("InvalidRESTParameterError", 400, InvalidRequest, "A request parameter or form field has a value out of its accepted range."),
    OdsqlSyntax => ("ODSQLSyntaxError", 400, InvalidRequest, "An ODSQL clause could not be parsed; the message gives the position and the clause."),
    Odsql => ("ODSQLError", 400, InvalidRequest, "An ODSQL clause is well formed but invalid: unknown field, unsupported function or wrong argument."),
    CsrfFailure => ("CSRFVerificationFailed", 403, Auth, "An unsafe request under cookie authentication lacked a valid CSRF token or came from another origin."),
    InvalidApiKey => ("InvalidAPIKey", 401, Auth, "The API key sent (`Authorization: Apikey …` or `apikey=`) is unknown, revoked or belongs to another portal."),
    Forbidden => ("PermissionDenied", 403, Auth, "The signed-in user has no role on this portal that allows the action."),
    TooManyAttempts => ("TooManyAttempts", 429, Auth, "Too many failed sign-in attempts for this account or address; try again later."),
    QueryTimeout => ("QueryTimeout", 503, InvalidRequest, "A query ran past the engine's time limit (query_timeout_s); a narrower where or an export helps."),
    Internal => ("InternalError", 500, Internal, "An unexpected failure; the detail is in the server log, never in the response."),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented() {
        let docs = include_str!("../../../docs/errors.md");
        for c in Code::ALL {
            let row = format!("| `{}` | {} |", c.wire(), c.status());
            assert!(docs.contains(&row), "docs/errors.md lacks the row {row}");
        }
    }

    #[test]
    fn wire_strings_are_unique_camel_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.wire()), "duplicate wire string {}", c.wire());
            assert!(c.wire().chars().next().unwrap().is_ascii_uppercase());
            assert!((400..600).contains(&c.status()));
        }
    }
}
