#!/usr/bin/env bash
# Installs Debian's kcat (librdkafka's command-line client) when it is missing. The
# exactly-once tests read their outputs a second time with it, read_committed, so that
# a bug in the product's patched kafkajs cannot hide from both readers
# (test/support/kcat.ts). Prints the path of kcat. Needs root (or sudo) only when it installs.
set -euo pipefail
for candidate in "${KCAT_PATH:-}" /usr/bin/kcat /usr/local/bin/kcat /usr/bin/kafkacat; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "kcat is missing; installing it with apt-get" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq kcat >&2
echo /usr/bin/kcat
