//! The DataFusion session every stage uses: a bounded memory pool that spills
//! to a configured directory, and plain string types so what is written is
//! readable by BI tools (DataFusion otherwise defaults to Utf8View).

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::config::EngineConfig;
use crate::error::{Error, Result};
use crate::warehouse::Warehouse;

/// A small session for reading local Parquet as BI tools see it (plain
/// strings): data tests on temporary files, tests reading published tables.
pub fn local_session() -> SessionContext {
    let mut config = SessionConfig::new();
    config
        .options_mut()
        .execution
        .parquet
        .schema_force_view_types = false;
    SessionContext::new_with_config(config)
}

pub fn session(engine: &EngineConfig, warehouse: &Warehouse) -> Result<SessionContext> {
    let mut disk = DiskManagerBuilder::default();
    if !engine.spill_dir.is_empty() {
        let dir = PathBuf::from(&engine.spill_dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::storage("create spill folder", dir.display().to_string(), e))?;
        disk = disk.with_mode(DiskManagerMode::Directories(vec![dir]));
    }
    let pool_bytes = engine.memory_limit_mb.max(64) * 1024 * 1024;
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(FairSpillPool::new(pool_bytes)))
        .with_disk_manager_builder(disk)
        .build_arc()
        .map_err(|e| Error::internal("DataFusion runtime", e))?;
    let mut config = SessionConfig::new()
        .with_target_partitions(engine.target_partitions.max(1))
        .with_information_schema(true);
    let options = config.options_mut();
    options.sql_parser.map_string_types_to_utf8view = false;
    options.execution.parquet.schema_force_view_types = false;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    ctx.register_object_store(warehouse.base_url(), warehouse.store());
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pool is the configured size (not DataFusion's unbounded default)
    /// and spills go to the configured folder.
    #[test]
    fn the_memory_pool_is_bounded_and_spills_where_configured() {
        let dir = tempfile::tempdir().unwrap();
        let spill = dir.path().join("spill");
        let engine = EngineConfig {
            memory_limit_mb: 256,
            spill_dir: spill.display().to_string(),
            ..EngineConfig::default()
        };
        let warehouse = Warehouse::open(dir.path().join("wh").to_str().unwrap()).unwrap();
        let ctx = session(&engine, &warehouse).unwrap();
        let runtime = ctx.runtime_env();
        assert!(matches!(
            runtime.memory_pool.memory_limit(),
            datafusion::execution::memory_pool::MemoryLimit::Finite(bytes) if bytes == 256 * 1024 * 1024
        ));
        assert!(spill.is_dir(), "the spill folder is created");
        let file = runtime.disk_manager.create_tmp_file("test").unwrap();
        let path = file.path().expect("a local spill file");
        assert!(path.starts_with(&spill), "{}", path.display());
    }
}
