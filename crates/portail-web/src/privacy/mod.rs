//! Everything portail stores in a visitor's browser, declared once.

pub mod policy;
pub mod registry;
