#!/usr/bin/env bash
# Install the Debian packages the briefings need (CJK fonts, DejaVu Sans for English headings, poppler's pdftotext/pdffonts,
# Chromium for the browser test). As root it installs what is missing; otherwise it prints
# the exact command and stops, so nothing half-works for lack of a font.
set -euo pipefail
# --no-browser: skip Chromium (only the tests need it, not a build of the reports)
packages=(fonts-noto-cjk fonts-dejavu-core poppler-utils)
[ "${1:-}" = "--no-browser" ] || packages+=(chromium)
# npm installs axe-core for the accessibility tests (make setup); Debian's when none is on PATH
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Run as root:  sudo sh -c '$cmd'" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
fc-cache -f >/dev/null 2>&1 || true
