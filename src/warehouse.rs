//! The warehouse: one object-store location (a local folder by default) that
//! holds every stage's output. Layout (docs/outputs.md):
//!
//! ```text
//! staged/episodes/extract_date=YYYY-MM-DD/episodes.parquet   ingest output
//! staged/episodes/extract_date=YYYY-MM-DD/_ingest.json       ingest report
//! work/YYYY-MM/reference/<table>.parquet                     transform inputs
//! work/YYYY-MM/tables/<table>.parquet                        transform output
//! work/YYYY-MM/_transform.json                               transform report
//! runs/YYYY-MM/<run id>/<table>.parquet, manifest.json       published run
//! runs/YYYY-MM/current.json                                  the period's committed run
//! bi/<table>/report_month=YYYY-MM/<table>.parquet            BI copy of the current run
//! _lock.json                                                 held while a run writes
//! ```

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use url::Url;

use crate::config::StorageConfig;
use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Warehouse {
    store: Arc<dyn ObjectStore>,
    /// `scheme://authority/`, the URL DataFusion registers the store under.
    base_url: Url,
    /// Prefix of the warehouse inside the store.
    root: ObjectPath,
    /// What the user passed, for messages.
    display: String,
}

/// Never prints the store itself: its debug form can hold credentials.
impl std::fmt::Debug for Warehouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Warehouse({})", self.display)
    }
}

/// The folder of a local warehouse location (a path or a `file://` URL);
/// None for a cloud URL.
pub fn local_folder(location: &str) -> Option<std::path::PathBuf> {
    if location.contains("://") && !location.starts_with("file://") {
        return None;
    }
    Some(location.strip_prefix("file://").unwrap_or(location).into())
}

impl Warehouse {
    /// Opens a local warehouse (folder or `file://` URL) or a cloud one with
    /// the default storage settings (credentials from the environment).
    pub fn open(location: &str) -> Result<Self> {
        Self::open_with(location, &StorageConfig::default())
    }

    /// Opens a warehouse: a local folder or `file://` URL (created if
    /// missing), `s3://bucket/prefix`, `az://container/prefix` (or
    /// `abfss://container@account.dfs.core.windows.net/prefix`) or
    /// `gs://bucket/prefix`. Credentials and endpoints come from the standard
    /// environment variables of each cloud, then `[storage]` settings.
    pub fn open_with(location: &str, storage: &StorageConfig) -> Result<Self> {
        let Some(local) = local_folder(location) else {
            return Self::open_cloud(location, storage);
        };
        std::fs::create_dir_all(&local)
            .map_err(|e| Error::storage("create folder", local.display().to_string(), e))?;
        let absolute = std::fs::canonicalize(&local)
            .map_err(|e| Error::storage("resolve folder", local.display().to_string(), e))?;
        let root = ObjectPath::from_absolute_path(&absolute)
            .map_err(|e| Error::storage("resolve folder", absolute.display().to_string(), e))?;
        Ok(Self {
            store: Arc::new(LocalFileSystem::new()),
            base_url: Url::parse("file:///").expect("static URL"),
            root,
            display: absolute.display().to_string(),
        })
    }

    fn open_cloud(location: &str, storage: &StorageConfig) -> Result<Self> {
        use object_store::{ClientOptions, RetryConfig};
        let url = Url::parse(location)
            .map_err(|e| Error::Input(format!("warehouse `{location}` is not a valid URL: {e}")))?;
        let bad = |e: object_store::Error| Error::storage("open warehouse", location, e);
        // Transient errors are retried with backoff, within a bounded time,
        // then the operation fails with the storage exit code.
        let retry = RetryConfig {
            max_retries: storage.retry_max,
            retry_timeout: Duration::from_secs(storage.retry_timeout_secs),
            ..RetryConfig::default()
        };
        let mut client = ClientOptions::new()
            .with_timeout(Duration::from_secs(storage.request_timeout_secs))
            .with_connect_timeout(Duration::from_secs(5));
        if storage.allow_http {
            client = client.with_allow_http(true);
        }
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "s3" | "s3a" => {
                let mut builder = object_store::aws::AmazonS3Builder::from_env()
                    .with_url(location)
                    .with_retry(retry)
                    .with_client_options(client);
                if let Some(endpoint) = &storage.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(region) = &storage.region {
                    builder = builder.with_region(region);
                }
                Arc::new(builder.build().map_err(bad)?)
            }
            "az" | "azure" | "abfs" | "abfss" | "adl" => {
                let mut builder = object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(location)
                    .with_retry(retry)
                    .with_client_options(client);
                if let Some(endpoint) = &storage.endpoint {
                    builder = builder.with_endpoint(endpoint.clone());
                }
                if storage.azure_use_emulator {
                    builder = builder.with_use_emulator(true);
                }
                Arc::new(builder.build().map_err(bad)?)
            }
            "gs" => {
                let builder = object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(location)
                    .with_retry(retry)
                    .with_client_options(client);
                Arc::new(builder.build().map_err(bad)?)
            }
            other => {
                return Err(Error::Input(format!(
                    "warehouse `{location}`: unknown scheme `{other}` (use a folder, file://, s3://, az://, abfss:// or gs://)"
                )));
            }
        };
        let authority = &url[url::Position::BeforeUsername..url::Position::AfterPort];
        let base_url = Url::parse(&format!("{}://{authority}/", url.scheme()))
            .map_err(|e| Error::Input(format!("warehouse `{location}`: {e}")))?;
        let root = ObjectPath::from_url_path(url.path())
            .map_err(|e| Error::Input(format!("warehouse `{location}`: {e}")))?;
        let display = format!("{base_url}{root}")
            .trim_end_matches('/')
            .to_string();
        Ok(Self {
            store,
            base_url,
            root,
            display,
        })
    }

    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// Human-readable location of the warehouse.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The object path of `relative` (slash-separated) inside the warehouse.
    pub fn path(&self, relative: &str) -> ObjectPath {
        let mut path = self.root.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            path = path.clone().join(part);
        }
        path
    }

    /// The URL DataFusion uses to read `relative`; folders end with `/`.
    pub fn url(&self, relative: &str) -> String {
        let path = self.path(relative);
        let mut url = format!("{}{}", self.base_url, path);
        if relative.ends_with('/') {
            url.push('/');
        }
        url
    }

    /// Location for messages: the warehouse display path plus `relative`.
    pub fn describe(&self, relative: &str) -> String {
        format!("{}/{}", self.display.trim_end_matches('/'), relative)
    }

    pub async fn put(&self, relative: &str, bytes: Bytes) -> Result<()> {
        self.store
            .put(&self.path(relative), PutPayload::from(bytes))
            .await
            .map_err(|e| Error::storage("write", self.describe(relative), e))?;
        Ok(())
    }

    /// Streams a local file into the warehouse without holding it in memory.
    pub async fn put_file(&self, relative: &str, file: &std::path::Path) -> Result<()> {
        use tokio::io::AsyncReadExt;
        let location = self.path(relative);
        let mut upload = object_store::buffered::BufWriter::new(self.store.clone(), location);
        let mut reader = tokio::fs::File::open(file)
            .await
            .map_err(|e| Error::storage("read", file.display().to_string(), e))?;
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = reader
                .read(&mut buffer)
                .await
                .map_err(|e| Error::storage("read", file.display().to_string(), e))?;
            if n == 0 {
                break;
            }
            tokio::io::AsyncWriteExt::write_all(&mut upload, &buffer[..n])
                .await
                .map_err(|e| Error::storage("write", self.describe(relative), e))?;
        }
        tokio::io::AsyncWriteExt::shutdown(&mut upload)
            .await
            .map_err(|e| Error::storage("write", self.describe(relative), e))?;
        Ok(())
    }

    pub async fn get(&self, relative: &str) -> Result<Bytes> {
        let result = self
            .store
            .get(&self.path(relative))
            .await
            .map_err(|e| Error::storage("read", self.describe(relative), e))?;
        result
            .bytes()
            .await
            .map_err(|e| Error::storage("read", self.describe(relative), e))
    }

    /// Reads an object if it exists.
    pub async fn get_opt(&self, relative: &str) -> Result<Option<Bytes>> {
        match self.store.get(&self.path(relative)).await {
            Ok(result) => {
                Ok(Some(result.bytes().await.map_err(|e| {
                    Error::storage("read", self.describe(relative), e)
                })?))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Error::storage("read", self.describe(relative), e)),
        }
    }

    /// Relative paths of every object under `prefix`, sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let base = self.path(prefix);
        let metas: Vec<_> = self
            .store
            .list(Some(&base))
            .try_collect()
            .await
            .map_err(|e| Error::storage("list", self.describe(prefix), e))?;
        let root = self.root.as_ref();
        let mut out: Vec<String> = metas
            .into_iter()
            .map(|m| {
                let full = m.location.as_ref().to_string();
                full.strip_prefix(root)
                    .unwrap_or(&full)
                    .trim_start_matches('/')
                    .to_string()
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Deletes every object under `prefix` (used before rewriting a stage's
    /// output, because DataFusion's Parquet writes only add files).
    pub async fn delete_prefix(&self, prefix: &str) -> Result<()> {
        for relative in self.list(prefix).await? {
            self.store
                .delete(&self.path(&relative))
                .await
                .map_err(|e| Error::storage("delete", self.describe(&relative), e))?;
        }
        Ok(())
    }

    /// Whether an object exists.
    pub async fn exists(&self, relative: &str) -> Result<bool> {
        match self.store.head(&self.path(relative)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(Error::storage("read", self.describe(relative), e)),
        }
    }

    pub async fn delete(&self, relative: &str) -> Result<()> {
        match self.store.delete(&self.path(relative)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::storage("delete", self.describe(relative), e)),
        }
    }

    /// Reads an object, if it exists, with the version a conditional
    /// replace of it must name.
    pub async fn get_versioned(&self, relative: &str) -> Result<Option<(Bytes, UpdateVersion)>> {
        match self.store.get(&self.path(relative)).await {
            Ok(result) => {
                let version = UpdateVersion {
                    e_tag: result.meta.e_tag.clone(),
                    version: result.meta.version.clone(),
                };
                let bytes = result
                    .bytes()
                    .await
                    .map_err(|e| Error::storage("read", self.describe(relative), e))?;
                Ok(Some((bytes, version)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Error::storage("read", self.describe(relative), e)),
        }
    }

    /// Writes `relative` only if it does not exist yet, or only if it is
    /// still at `expected` (the version [`Self::get_versioned`] returned).
    /// Returns the version written, or `None` when the condition failed:
    /// someone else wrote first.
    ///
    /// Object stores check the condition on the server. The local file
    /// system has no conditional replace (object_store reports it as not
    /// implemented), so there the version is compared and the file then
    /// replaced atomically by rename; the warehouse lock keeps that gap
    /// closed in practice (docs/storage.md).
    pub async fn put_if(
        &self,
        relative: &str,
        bytes: Bytes,
        expected: Option<&UpdateVersion>,
    ) -> Result<Option<UpdateVersion>> {
        let path = self.path(relative);
        let mode = match expected {
            None => PutMode::Create,
            Some(version) => PutMode::Update(version.clone()),
        };
        let attempt = self
            .store
            .put_opts(
                &path,
                PutPayload::from(bytes.clone()),
                PutOptions::from(mode),
            )
            .await;
        match attempt {
            Ok(written) => Ok(Some(written.into())),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Ok(None),
            Err(object_store::Error::NotImplemented { .. }) if expected.is_some() => {
                let expected = expected.expect("checked above");
                let now = match self.store.head(&path).await {
                    Ok(meta) => UpdateVersion {
                        e_tag: meta.e_tag,
                        version: meta.version,
                    },
                    Err(object_store::Error::NotFound { .. }) => return Ok(None),
                    Err(e) => return Err(Error::storage("read", self.describe(relative), e)),
                };
                if &now != expected {
                    return Ok(None);
                }
                let written = self
                    .store
                    .put(&path, PutPayload::from(bytes))
                    .await
                    .map_err(|e| Error::storage("write", self.describe(relative), e))?;
                Ok(Some(written.into()))
            }
            Err(e) => Err(Error::storage("write", self.describe(relative), e)),
        }
    }
}
