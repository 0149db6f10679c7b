//! A full run published to a real S3-compatible server (SeaweedFS on
//! 127.0.0.1, started by `make test` through scripts/s3-test-server.sh), read
//! back by DataFusion and pyarrow through the period's pointer, with the same
//! values as a local-folder run; and no credential in any output.

mod common;

use std::sync::Arc;

use assert_cmd::Command;
use common::repo;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};

const SAMPLE: &str = "data/sample/cme-extract-sample.csv";
const KEY: &str = "object-store-test-pseudonym-key-01";

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

fn cme(s3: &S3, warehouse: &str, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("cme").unwrap();
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

/// Every published table of the run `latest.json` names, as sorted text.
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

    // Read both back through latest.json with DataFusion.
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
        serde_json::from_str(&get("runs/2018-06/latest.json").await).unwrap();
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
        serde_json::from_slice(&std::fs::read(local_wh.join("runs/2018-06/latest.json")).unwrap())
            .unwrap();
    let local_read = |relative: &str| std::fs::read_to_string(local_wh.join(relative)).unwrap();
    let local_tables = tables_through_pointer(
        &ctx,
        &format!("{}/", local_wh.canonicalize().unwrap().display()),
        local_pointer,
        local_read,
    )
    .await;
    assert_eq!(remote.len(), 4);
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
    assert!(
        stderr.contains(&format!("s3://{}/{prefix}", dead.bucket)),
        "{stderr}"
    );
    assert!(!stderr.contains(&dead.secret), "{stderr}");
}
