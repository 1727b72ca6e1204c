//! The shared vocabulary of portail: languages, portals, roles and the one table of error codes.
//!
//! This crate does no I/O and knows nothing of HTTP, SQL or query engines, so every other crate can
//! depend on it without pulling anything heavy in.

pub mod error;
pub mod lang;
pub mod media;
pub mod portal;
pub mod schema;
pub mod time;
pub mod user;

pub use error::Code;
pub use lang::Lang;
pub use portal::{Localized, Portal, SlugError};
pub use schema::{Annotations, Field, FieldOverride, FieldType, Schema};
pub use user::Role;
