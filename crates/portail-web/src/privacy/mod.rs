//! Everything portail stores in a visitor's browser, declared once, and the visitor's choices
//! about it: the cookie registry, integrations, consent, the CSP and the policy page.

pub mod consent;
pub mod csp;
pub mod integrations;
pub mod panel;
pub mod policy;
pub mod registry;
pub mod ui_version;
