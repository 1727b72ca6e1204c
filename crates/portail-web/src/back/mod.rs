//! Back office: what a portal's users manage once signed in.

pub mod apikeys;
pub mod attachments;
pub mod audience;
pub mod dataset_admin;
pub mod datasets;
pub mod fields;
pub mod metadata;
pub mod pages;
pub mod privacy;
pub mod settings;
