//! In-process HTTP tests of portail-web (one binary; modules mirror the surfaces), plus one
//! real-browser test in headless Chromium.

mod annotations;
mod api;
mod apikeys;
mod attachments;
mod audience;
mod auth;
mod backoffice;
mod browser;
mod compat;
mod conformance;
mod consent;
mod cookies;
mod datasets;
mod exports;
mod files;
mod front;
mod harvest;
mod language;
mod metadata;
mod openapi;
mod pages;
mod policy;
mod rdf;
mod support;
mod tenancy;
