//! Tests of the `portail` binary as users run it (one test binary for the crate): its commands,
//! and the browser privacy audit over the platform `portail demo` serves.

mod audit;
mod cli;
