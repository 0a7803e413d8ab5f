#!/usr/bin/env bash
# Installs what the PDF documents need (evidence packs, monthly reports), once:
# WeasyPrint's Pango/HarfBuzz libraries, DejaVu fonts (Indonesian text and symbols such as
# "≤"), and poppler-utils (pdftotext), with which the tests read a PDF's text back.
set -euo pipefail
need=()
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing for PDF documents: ${need[*]} (install these Debian packages as root)." >&2
  exit 0
fi
echo "Installing for PDF documents: ${need[*]}..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
