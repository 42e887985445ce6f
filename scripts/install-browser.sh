#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver (and a font for readable screenshots) for the
# end-to-end browser tests (tests/e2e).
#
# Idempotent and quick when both are already there. Installs with apt-get only when apt is
# available and we are root; otherwise prints what to do and exits 0 (the e2e tests skip).
# Exit status: 0 when the browser is ready or cannot be installed here (with a message),
# 1 when an install was attempted and failed. `make test` ignores a failure either way.
set -u

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

if [ -x "$CHROMIUM" ] && [ -x "$DRIVER" ]; then
    echo "install-browser: chromium and chromedriver are installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get is not available: install Chromium and ChromeDriver at $CHROMIUM and $DRIVER" \
         "to run the browser tests (they are skipped until then)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-browser: not root: run 'sudo apt-get install chromium chromium-driver' to run the" \
         "browser tests (they are skipped until then)"
    exit 0
fi

echo "install-browser: installing Debian's chromium and chromium-driver with apt-get"
export DEBIAN_FRONTEND=noninteractive
# the package lists may be missing or old on a fresh machine: update once, then install
if ! apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || echo "install-browser: apt-get update failed"
    if ! apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core; then
        echo "install-browser: apt-get could not install chromium chromium-driver: the browser tests will be skipped"
        exit 1
    fi
fi

if [ -x "$CHROMIUM" ] && [ -x "$DRIVER" ]; then
    echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
    exit 0
fi
echo "install-browser: apt-get finished but $CHROMIUM or $DRIVER is missing: the browser tests will be skipped"
exit 1
