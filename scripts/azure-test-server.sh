#!/usr/bin/env bash
# A real Azure Blob Storage emulator on 127.0.0.1 for the tests: Azurite
# (npm package azurite@3), with the container the tests use. Needs Node.js
# with npm and a free port (10000 by default).
#
#   scripts/azure-test-server.sh start   # install into .azurite/ if needed, start, create the container
#   scripts/azure-test-server.sh stop    # stop it by its process id
#   scripts/azure-test-server.sh env     # the variables the tests read
#
# The account is Azurite's well-known development account
# (devstoreaccount1 and its published key): test-only, not a secret.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-server-lib.sh

PREFIX="${CME_AZURITE_PREFIX:-.azurite}"
DIR="${CME_TEST_SERVER_DIR:-${TMPDIR:-/tmp}}/cme-azure-test-server"
PORT="${CME_TEST_AZURE_PORT:-10000}"
CONTAINER="${CME_TEST_AZURE_CONTAINER:-cme-test}"
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
PIDFILE="$DIR/azurite.pid"
ENDPOINT="http://127.0.0.1:$PORT/$ACCOUNT"

print_env() {
  cat <<VARS
export CME_TEST_AZURE_ENDPOINT=$ENDPOINT
export CME_TEST_AZURE_CONTAINER=$CONTAINER
export CME_TEST_AZURE_ACCOUNT=$ACCOUNT
export CME_TEST_AZURE_KEY=$KEY
VARS
}

# Creates the container (409 if it exists is fine), with the SDK's own
# SharedKey signing; a 2xx/409 answer means the server is up.
ready() {
  NODE_PATH="$PREFIX/node_modules" node -e '
    const { BlobServiceClient, StorageSharedKeyCredential } = require("@azure/storage-blob");
    const [endpoint, account, key, container] = process.argv.slice(1);
    const client = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account, key),
      { retryOptions: { maxTries: 1, tryTimeoutInMs: 2000 } });
    client.getContainerClient(container).createIfNotExists()
      .then(() => process.exit(0), () => process.exit(1));
  ' "$ENDPOINT" "$ACCOUNT" "$KEY" "$CONTAINER" >/dev/null 2>&1
}

start() {
  if running "$PIDFILE"; then
    echo "azure test server already running (pid $(cat "$PIDFILE"))"
    return 0
  fi
  if [ ! -x "$PREFIX/node_modules/.bin/azurite-blob" ] || [ ! -d "$PREFIX/node_modules/@azure/storage-blob" ]; then
    npm install --silent --no-audit --no-fund --prefix "$PREFIX" azurite@3 @azure/storage-blob@12 >/dev/null
  fi
  rm -rf "$DIR" && mkdir -p "$DIR/data"
  nohup "$PREFIX/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$PORT" \
    --location "$DIR/data" --skipApiVersionCheck --loose --silent > "$DIR/azurite.log" 2>&1 &
  echo $! > "$PIDFILE"
  wait_ready "azure test server" "$PIDFILE" "$DIR/azurite.log"
  echo "azure test server ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), container $CONTAINER)"
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid "$PIDFILE" ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
