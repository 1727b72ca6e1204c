//! Query-string parameters of the Explore API: repeatable, `+` for spaces, booleans in any case,
//! and the documented limits with Opendatasoft's messages.

use super::ApiError;

pub struct Params {
    pairs: Vec<(String, String)>,
}

/// Records and catalog pages: `limit` ≤ 100 and `offset + limit` ≤ 10,000.
pub const MAX_LIMIT: i64 = 100;
pub const MAX_WINDOW: i64 = 10_000;
pub const DEFAULT_LIMIT: i64 = 10;
/// Grouped queries: `limit` and `offset + limit` ≤ 20,000.
pub const MAX_GROUPS: i64 = 20_000;

/// `refine=facet:value` (or `exclude=…`) split into the facet and the unquoted value.
pub fn split_refinement(spec: &str) -> Result<(&str, &str), ApiError> {
    let (facet, raw) = spec.split_once(':').ok_or_else(|| {
        ApiError::parameter(format!("Invalid value for refine API parameter: {spec} (expected facet:value)"))
    })?;
    // The facet may come back-quoted (`` `city`:Paris ``), as ods-widgets write it.
    Ok((facet.trim().trim_matches('`'), raw.trim().trim_matches('"').trim_matches('\'')))
}

/// `timezone`: an IANA name (UTC when absent); an unknown name is a 400.
pub fn timezone(value: Option<&str>) -> Result<portail_query::Zone, ApiError> {
    match value.filter(|v| !v.trim().is_empty()) {
        None => Ok(portail_query::Zone::UTC),
        Some(name) => portail_query::Zone::parse(name).ok_or_else(|| {
            ApiError::parameter(format!("Unknown timezone: {name} (expected an IANA name such as Europe/Paris)"))
        }),
    }
}

impl Params {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params { pairs }
    }

    /// The well-formed `refine` values as (facet, value), to mark facet values as refined.
    pub fn refinements(&self) -> Vec<(String, String)> {
        self.all("refine")
            .into_iter()
            .filter_map(|r| split_refinement(r).ok())
            .map(|(f, v)| (f.to_owned(), v.to_owned()))
            .collect()
    }

    pub fn parse(query: Option<&str>) -> Params {
        let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Params { pairs }
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// The last value given (clients that repeat a single-valued parameter mean the last one).
    pub fn one(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
    }

    /// `lang` for day and month names: `en` or `fr` (with or without region); other languages
    /// fall back to French, Opendatasoft's default, rather than failing a widget's call.
    pub fn lang(&self) -> Option<portail_core::Lang> {
        self.one("lang").and_then(portail_core::Lang::from_tag)
    }

    pub fn timezone(&self) -> Result<portail_query::Zone, ApiError> {
        timezone(self.one("timezone"))
    }

    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.one(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if v == "true" || v == "1" => Ok(true),
            Some(v) if v == "false" || v == "0" => Ok(false),
            Some(v) => Err(ApiError::parameter(format!(
                "Invalid value for {name} API parameter: {v} was found but a boolean is expected."
            ))),
        }
    }

    fn int(&self, name: &str, alias: &str) -> Result<Option<i64>, ApiError> {
        match self.one(name).or_else(|| self.one(alias)) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                ApiError::parameter(format!(
                    "Invalid value for {name} API parameter: {v} was found but an integer is expected."
                ))
            }),
        }
    }

    /// `limit` and `offset` (`rows` and `start` are accepted as v2.0/widget aliases).
    pub fn page(&self) -> Result<(i64, i64), ApiError> {
        self.page_within(MAX_LIMIT, MAX_WINDOW)
    }

    /// Paging with other bounds (grouped queries allow 20,000 groups).
    pub fn page_within(&self, max_limit: i64, max_window: i64) -> Result<(i64, i64), ApiError> {
        let limit = self.int("limit", "rows")?.unwrap_or(DEFAULT_LIMIT);
        // -1 means "as many as allowed".
        let limit = if limit == -1 { max_limit } else { limit };
        if !(0..=max_limit).contains(&limit) {
            return Err(ApiError::parameter(format!(
                "Invalid value for limit API parameter: {limit} was found but -1 <= limit <= {max_limit} is expected."
            )));
        }
        let offset = self.int("offset", "start")?.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::parameter(format!(
                "Invalid value for offset API parameter: {offset} was found but offset >= 0 is expected."
            )));
        }
        if offset + limit > max_window {
            return Err(ApiError::parameter(format!(
                "Invalid value for offset API parameter: offset + limit = {} was found but offset + limit <= {max_window} is expected.",
                offset + limit
            )));
        }
        Ok((limit, offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_explore_rules() {
        assert_eq!(Params::parse(None).page().unwrap(), (10, 0));
        assert_eq!(Params::parse(Some("limit=-1")).page().unwrap(), (100, 0));
        assert_eq!(Params::parse(Some("rows=5&start=20")).page().unwrap(), (5, 20));
        let e = Params::parse(Some("limit=999")).page().unwrap_err();
        assert_eq!(
            e.message,
            "Invalid value for limit API parameter: 999 was found but -1 <= limit <= 100 is expected."
        );
        assert!(Params::parse(Some("limit=100&offset=9901")).page().is_err());
        assert!(Params::parse(Some("limit=100&offset=9900")).page().is_ok());
        assert!(Params::parse(Some("limit=ten")).page().is_err());
    }

    #[test]
    fn repeated_and_encoded_values() {
        let p = Params::parse(Some("where=a%3D1&where=b+%3E+2&include_links=True"));
        assert_eq!(p.all("where"), ["a=1", "b > 2"]);
        assert!(p.flag("include_links").unwrap());
        assert!(Params::parse(Some("include_links=maybe")).flag("include_links").is_err());
    }
}
