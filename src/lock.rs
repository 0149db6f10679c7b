//! The warehouse lock: one writing command at a time per warehouse.
//!
//! Every stage writes somewhere shared (`staged/`, `work/<period>/`,
//! `runs/`, `bi/`), so two runs started by a confused scheduler would
//! interleave. A run therefore creates `_lock.json` with a conditional create
//! (the store refuses it if the object exists) before it writes anything,
//! renews it between stages, and deletes it when it ends, whether it
//! succeeded or not. The object names the holder (host, process, command)
//! and when it expires. A second run refuses with the holder's name and the
//! busy exit code (6); it takes the lock over, again conditionally, only
//! when the lock has expired or its holder was a process on this host that
//! no longer exists (the run was killed). `cme unlock` removes a stuck lock
//! after confirmation. docs/storage.md has the details.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use object_store::UpdateVersion;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::warehouse::Warehouse;

/// Location of the lock object inside the warehouse.
pub const LOCK_OBJECT: &str = "_lock.json";

/// What `_lock.json` holds. No personal data: host name, process id and the
/// command line's verb and period.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LockHolder {
    /// Unique to one acquisition, so a run only ever releases its own lock.
    pub token: String,
    pub host: String,
    pub pid: u32,
    /// e.g. `run 2018-06`.
    pub command: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl LockHolder {
    /// "`run 2018-06` on host ci-1 (pid 4242) since 2018-07-02T02:15:00Z, expires 03:15:00Z"
    pub fn describe(&self) -> String {
        format!(
            "`{}` on host {} (pid {}) since {}, expiring {}",
            self.command,
            self.host,
            self.pid,
            self.acquired_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.expires_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    }

    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    /// The holder was a process on this host that has exited without
    /// releasing the lock (killed, or its storage went away at the end).
    fn holder_process_gone(&self) -> bool {
        self.host == host_name() && self.pid != std::process::id() && !process_exists(self.pid)
    }
}

/// A lock this process holds. Release it with [`WarehouseLock::release`];
/// if the process dies first, the lock expires or is taken over as above.
#[derive(Debug)]
pub struct WarehouseLock {
    warehouse: Warehouse,
    holder: LockHolder,
    version: UpdateVersion,
    ttl: chrono::Duration,
}

impl WarehouseLock {
    /// Takes the warehouse lock for `command`, or fails with [`Error::Busy`]
    /// naming the current holder.
    pub async fn acquire(warehouse: &Warehouse, command: &str, ttl_secs: u64) -> Result<Self> {
        let ttl = chrono::Duration::seconds(ttl_secs.max(1) as i64);
        // A few rounds cover a holder that releases between our create and
        // our read, or a takeover race lost to another process.
        for _ in 0..5 {
            let now = Utc::now();
            let holder = LockHolder {
                token: new_token(),
                host: host_name(),
                pid: std::process::id(),
                command: command.to_string(),
                acquired_at: now,
                expires_at: now + ttl,
            };
            let body = encode(&holder)?;
            if let Some(version) = warehouse.put_if(LOCK_OBJECT, body.clone(), None).await? {
                tracing::debug!(command, "warehouse lock taken");
                return Ok(Self {
                    warehouse: warehouse.clone(),
                    holder,
                    version,
                    ttl,
                });
            }
            let Some((bytes, version)) = warehouse.get_versioned(LOCK_OBJECT).await? else {
                continue; // released meanwhile: try to create again
            };
            let Ok(current) = serde_json::from_slice::<LockHolder>(&bytes) else {
                return Err(Error::Busy(format!(
                    "warehouse {} is locked: {} exists but cannot be read; if no run is in progress, remove it with `cme unlock --warehouse {}`",
                    warehouse.display(),
                    warehouse.describe(LOCK_OBJECT),
                    warehouse.display()
                )));
            };
            let stale = if current.expired(now) {
                Some("it expired")
            } else if current.holder_process_gone() {
                Some("its process no longer exists")
            } else {
                None
            };
            let Some(why) = stale else {
                return Err(Error::Busy(format!(
                    "warehouse {} is locked by {}; nothing was written. Wait for that run to finish; if it is stuck, `cme unlock --warehouse {}` removes the lock",
                    warehouse.display(),
                    current.describe(),
                    warehouse.display()
                )));
            };
            if let Some(version) = warehouse.put_if(LOCK_OBJECT, body, Some(&version)).await? {
                tracing::warn!(
                    previous = %current.describe(),
                    "took over the warehouse lock: {why}"
                );
                return Ok(Self {
                    warehouse: warehouse.clone(),
                    holder,
                    version,
                    ttl,
                });
            }
        }
        Err(Error::Busy(format!(
            "warehouse {}: could not take the lock, other runs keep taking it",
            warehouse.display()
        )))
    }

    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }

    /// Pushes the expiry forward (called between stages). Fails with
    /// [`Error::Busy`] if the lock is no longer ours, e.g. it expired and
    /// another run took it over: this run must then stop writing.
    pub async fn renew(&mut self) -> Result<()> {
        let mut holder = self.holder.clone();
        holder.expires_at = Utc::now() + self.ttl;
        let body = encode(&holder)?;
        match self
            .warehouse
            .put_if(LOCK_OBJECT, body, Some(&self.version))
            .await?
        {
            Some(version) => {
                self.version = version;
                self.holder = holder;
                Ok(())
            }
            None => Err(Error::Busy(format!(
                "lost the warehouse lock of {} (it expired and was taken over, or was removed with `cme unlock`); this run stopped writing",
                self.warehouse.display()
            ))),
        }
    }

    /// Deletes the lock if it is still ours. Errors are logged, not
    /// returned: the run's own outcome is what the caller reports.
    pub async fn release(self) {
        match self.warehouse.get_opt(LOCK_OBJECT).await {
            Ok(Some(bytes)) => {
                let ours = serde_json::from_slice::<LockHolder>(&bytes)
                    .is_ok_and(|h| h.token == self.holder.token);
                if !ours {
                    tracing::warn!("the warehouse lock was taken over by another run; left it");
                    return;
                }
                if let Err(e) = self.warehouse.delete(LOCK_OBJECT).await {
                    tracing::warn!(error = %e, "could not release the warehouse lock; it expires at {}", self.holder.expires_at);
                }
            }
            Ok(None) => tracing::warn!("the warehouse lock was already gone"),
            Err(e) => {
                tracing::warn!(error = %e, "could not release the warehouse lock; it expires at {}", self.holder.expires_at)
            }
        }
    }
}

/// The current holder of a warehouse's lock, if any (for `cme unlock`).
pub async fn current_holder(warehouse: &Warehouse) -> Result<Option<Result<LockHolder>>> {
    Ok(warehouse.get_opt(LOCK_OBJECT).await?.map(|bytes| {
        serde_json::from_slice::<LockHolder>(&bytes).map_err(|e| {
            Error::Busy(format!(
                "{} cannot be read: {e}",
                warehouse.describe(LOCK_OBJECT)
            ))
        })
    }))
}

/// Removes the lock whoever holds it (`cme unlock`, after confirmation).
pub async fn force_unlock(warehouse: &Warehouse) -> Result<()> {
    warehouse.delete(LOCK_OBJECT).await
}

fn encode(holder: &LockHolder) -> Result<Bytes> {
    serde_json::to_vec_pretty(holder)
        .map(Bytes::from)
        .map_err(|e| Error::internal("lock", e))
}

fn new_token() -> String {
    use rand::Rng;
    format!("{:016x}", rand::rng().random::<u64>())
}

/// This machine's host name (empty if the system will not say).
pub fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `len` bytes into the buffer.
    let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

/// Whether a process with this id exists on this host. `kill(pid, 0)`
/// checks without sending anything; EPERM means it exists but is another
/// user's.
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return true; // not a real holder pid: never treat as gone
    }
    // SAFETY: signal 0 performs only the existence and permission check.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(host: &str, pid: u32, expires_in: i64) -> LockHolder {
        let now = Utc::now();
        LockHolder {
            token: "t".into(),
            host: host.into(),
            pid,
            command: "run 2018-06".into(),
            acquired_at: now,
            expires_at: now + chrono::Duration::seconds(expires_in),
        }
    }

    #[test]
    fn a_live_holder_on_this_host_is_not_stale() {
        let me = holder(&host_name(), std::process::id(), 60);
        assert!(!me.holder_process_gone());
        assert!(!me.expired(Utc::now()));
    }

    #[test]
    fn a_dead_process_on_this_host_is_stale_but_not_on_another_host() {
        // A child that has exited and been reaped: its pid is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(holder(&host_name(), pid, 60).holder_process_gone());
        assert!(!holder("some-other-host", pid, 60).holder_process_gone());
    }

    #[test]
    fn expiry_is_by_time() {
        assert!(holder("h", 1, -1).expired(Utc::now()));
        assert!(!holder("h", 1, 10).expired(Utc::now()));
    }
}
