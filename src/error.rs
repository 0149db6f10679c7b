//! The library's error type. Each variant belongs to one class, and each class
//! has its own process exit code (documented in README.md and docs/cli.md), so
//! a scheduler can tell "fix the extract" from "the disk is full".

use thiserror::Error;

pub type Result<T> = std::result::Result<T, Error>;

/// Process exit codes, one per error class.
pub mod exit_code {
    pub const OK: i32 = 0;
    /// Command-line usage errors (reported by clap).
    pub const USAGE: i32 = 2;
    /// The extract or the configuration cannot be used as given.
    pub const BAD_INPUT: i32 = 3;
    /// The data was read but failed a data-quality check.
    pub const DATA_QUALITY: i32 = 4;
    /// Reading or writing the warehouse (object storage) failed.
    pub const STORAGE: i32 = 5;
    /// Another run holds the warehouse lock, or committed the same period
    /// while this one was writing: nothing was published; try again later.
    pub const BUSY: i32 = 6;
    /// A bug: something the pipeline should never do.
    pub const INTERNAL: i32 = 70;
}

#[derive(Debug, Error)]
pub enum Error {
    /// A problem with an input file, naming the file, line and field. Messages
    /// never quote personal values.
    #[error("{0}")]
    Input(String),

    #[error("configuration {path}: {message}")]
    Config { path: String, message: String },

    #[error("{0}")]
    DataQuality(String),

    #[error("{operation} {path}: {message}")]
    Storage {
        operation: &'static str,
        path: String,
        message: String,
    },

    /// Another run holds the warehouse, or won the race to commit a period.
    #[error("{0}")]
    Busy(String),

    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The same class of error with its message rewritten (to add where it
    /// happened).
    pub fn map_message(self, f: impl FnOnce(String) -> String) -> Self {
        match self {
            Error::Input(m) => Error::Input(f(m)),
            Error::Config { path, message } => Error::Config {
                path,
                message: f(message),
            },
            Error::DataQuality(m) => Error::DataQuality(f(m)),
            Error::Storage {
                operation,
                path,
                message,
            } => Error::Storage {
                operation,
                path,
                message: f(message),
            },
            Error::Busy(m) => Error::Busy(f(m)),
            Error::Internal(m) => Error::Internal(f(m)),
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Config { .. } => exit_code::BAD_INPUT,
            Error::DataQuality(_) => exit_code::DATA_QUALITY,
            Error::Storage { .. } => exit_code::STORAGE,
            Error::Busy(_) => exit_code::BUSY,
            Error::Internal(_) => exit_code::INTERNAL,
        }
    }

    pub fn class(&self) -> &'static str {
        match self {
            Error::Input(_) | Error::Config { .. } => "bad input",
            Error::DataQuality(_) => "data quality",
            Error::Storage { .. } => "storage",
            Error::Busy(_) => "warehouse busy",
            Error::Internal(_) => "internal",
        }
    }

    pub fn storage(
        operation: &'static str,
        path: impl Into<String>,
        err: impl std::fmt::Display,
    ) -> Self {
        Error::Storage {
            operation,
            path: path.into(),
            message: err.to_string(),
        }
    }

    /// Adds what a failure left behind to its message (storage and busy
    /// errors), e.g. that the period's committed run is untouched.
    pub fn with_note(self, note: &str) -> Self {
        match self {
            Error::Config { .. } => self,
            other => other.map_message(|message| format!("{message}; {note}")),
        }
    }

    pub fn internal(context: impl std::fmt::Display, err: impl std::fmt::Display) -> Self {
        Error::Internal(format!("{context}: {err}"))
    }
}
