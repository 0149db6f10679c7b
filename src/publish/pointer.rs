//! `runs/<period>/current.json`: which run of a period readers see.
//!
//! A run writes its files under its own folder and its manifest last; it
//! becomes the period's run only when this pointer moves to it. The move is
//! a conditional put: create if the period has no run yet, else replace only
//! the version read before the run started writing. If another run committed
//! the period in between, the put fails and this run reports it (busy exit
//! code) instead of silently overwriting.

use chrono::Utc;
use object_store::UpdateVersion;
use serde::{Deserialize, Serialize};

use crate::calendar::Period;
use crate::error::{Error, Result};
use crate::warehouse::Warehouse;

pub fn current_pointer(period: Period) -> String {
    format!("runs/{period}/current.json")
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CurrentPointer {
    pub run_id: String,
    /// Relative path of the run's manifest inside the warehouse.
    pub manifest: String,
    pub committed_at: String,
    /// The run this one replaced, if any.
    pub previous_run_id: Option<String>,
}

/// The period's committed run and the version of the pointer object.
pub async fn read(
    warehouse: &Warehouse,
    period: Period,
) -> Result<Option<(CurrentPointer, UpdateVersion)>> {
    let object = current_pointer(period);
    let Some((bytes, version)) = warehouse.get_versioned(&object).await? else {
        return Ok(None);
    };
    // A damaged pointer is the warehouse's fault, not a bug: storage class.
    let pointer = serde_json::from_slice(&bytes).map_err(|e| {
        Error::storage(
            "read",
            warehouse.describe(&object),
            format!("not a valid run pointer ({e})"),
        )
    })?;
    Ok(Some((pointer, version)))
}

/// Moves the period's pointer to `run_id`, provided it still is where
/// `before` found it.
pub async fn commit(
    warehouse: &Warehouse,
    period: Period,
    run_id: &str,
    manifest: &str,
    before: Option<&(CurrentPointer, UpdateVersion)>,
) -> Result<CurrentPointer> {
    let pointer = CurrentPointer {
        run_id: run_id.to_string(),
        manifest: manifest.to_string(),
        committed_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        previous_run_id: before.map(|(p, _)| p.run_id.clone()),
    };
    let body = serde_json::to_vec_pretty(&pointer).map_err(|e| Error::internal("pointer", e))?;
    let object = current_pointer(period);
    let written = warehouse
        .put_if(&object, body.into(), before.map(|(_, v)| v))
        .await?;
    if written.is_none() {
        let now = read(warehouse, period)
            .await?
            .map(|(p, _)| p.run_id)
            .unwrap_or_else(|| "(none)".into());
        return Err(Error::Busy(format!(
            "another run committed {period} while this one was writing ({} now names run {now}); run {run_id} was not committed",
            warehouse.describe(&object)
        )));
    }
    Ok(pointer)
}
