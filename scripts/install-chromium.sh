#!/usr/bin/env bash
# Installs Debian's Chromium for the end-to-end dashboard test, once.
# Playwright's own browser download does not work on these machines; the test drives
# /usr/bin/chromium through Playwright's executable_path instead.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing and this is not root: install Debian's 'chromium' package to run the e2e test." >&2
  exit 0
fi
echo "Installing Debian's chromium for the end-to-end test..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium
