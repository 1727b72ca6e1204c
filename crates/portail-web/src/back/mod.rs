//! Back office: what a portal's users manage once signed in.

pub mod datasets;
pub mod settings;
