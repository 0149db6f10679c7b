#!/usr/bin/env bash
# `make test`: start the servers the tests need, run the suite, stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
# S3 (SeaweedFS), Azure Blob (Azurite) and GCS (fake-gcs-server), all on
# 127.0.0.1, stopped by process id however the tests end.
trap 'for s in s3 azure gcs; do scripts/$s-test-server.sh stop; done' EXIT
for server in s3 azure gcs; do
  scripts/$server-test-server.sh start
  eval "$(scripts/$server-test-server.sh env)"
done
export CME_TEST_PYTHON="$PWD/.venv-test/bin/python"
cargo test --all-targets "$@"
