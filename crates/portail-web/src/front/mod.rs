//! Front office: public pages of a portal.

pub mod home;
pub mod login;
pub mod pages;
pub mod setlang;
