//! Front office: public pages of a portal.

pub mod dataset;
pub mod explore;
mod filters;
mod format;
pub mod home;
pub mod login;
pub mod pages;
pub mod setlang;
