#!/usr/bin/env bash
# `make test`: start the servers the tests need, run the suite, stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/s3-test-server.sh start
trap 'scripts/s3-test-server.sh stop' EXIT
eval "$(scripts/s3-test-server.sh env)"
export CME_TEST_PYTHON="$PWD/.venv-test/bin/python"
cargo test --all-targets "$@"
