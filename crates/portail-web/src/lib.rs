//! The HTTP surface of portail: tenancy, identity, CSRF, cookies and consent, i18n, the front
//! office and the back office. Library crates below it know nothing of HTTP.
//!
//! A request's path: [`tenant::resolve`] (Host → portal, or 404) → [`session::identify`]
//! (`sessionid` → user) → [`csrf::protect`] (unsafe methods) → handler → [`context::Ctx::render`].

pub mod access_log;
pub mod api;
pub mod app;
pub mod assets;
pub mod audience;
pub mod back;
pub mod config;
pub mod content;
pub mod context;
pub mod csrf;
pub mod error;
pub mod front;
pub mod housekeeping;
pub mod i18n;
pub mod locale;
pub mod privacy;
pub mod router;
pub mod server;
pub mod session;
pub mod templates;
pub mod tenant;

pub use app::{system_clock, App, AppState, Clock};
pub use config::WebConfig;
pub use router::router;
pub use server::serve;
