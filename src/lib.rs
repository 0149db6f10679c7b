//! CME performance pipeline: ingest -> transform (SQL in DataFusion) -> publish.
//!
//! The tree follows the flow: `ingest/` reads, maps, validates and
//! pseudonymises extracts; `transform/` registers tables and runs the SQL
//! under `sql/`; `publish/` writes the curated outputs and the manifest;
//! `synth/` makes synthetic extracts for the sample and the tests.

pub mod calendar;
pub mod cli;
pub mod config;
pub mod datatests;
pub mod error;
pub mod ingest;
pub mod lock;
pub mod progress;
pub mod publish;
pub mod report;
pub mod sql;
pub mod synth;
pub mod transform;
pub mod warehouse;

pub use error::{Error, Result};
