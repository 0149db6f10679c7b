#!/usr/bin/env bash
# Headless Chromium for tests/report_browser.rs: Debian's `chromium` package
# (docs/report.md). Does nothing when it is already installed; otherwise
# installs it with apt-get (as root, or through sudo).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium-browser ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing and this is not a Debian-like system: install Chromium and set CME_TEST_CHROMIUM to its path" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q chromium >/tmp/cme-apt-chromium.log 2>&1; then
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q chromium >/tmp/cme-apt-chromium.log 2>&1 || {
    echo "installing chromium failed; see /tmp/cme-apt-chromium.log" >&2
    exit 1
  }
fi
echo "installed $(chromium --version 2>/dev/null)"
