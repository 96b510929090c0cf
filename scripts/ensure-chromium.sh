#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser tests (test/e2e/dashboard.test.ts)
# when it is missing. playwright-core drives it and downloads no browser of its own.
# Prints the path of the browser. Needs root (or sudo) only when it installs.
set -euo pipefail
for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-headless-shell /usr/lib/chromium/chromium; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "chromium is missing; installing it with apt-get" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
echo /usr/bin/chromium
