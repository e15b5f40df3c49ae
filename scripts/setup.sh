#!/usr/bin/env bash
# Installs what facedrop needs on a fresh Debian machine: the libraries node-canvas compiles against,
# Chromium for the browser test, PostgreSQL for the tests of server mode (they start their own server in a
# temporary folder; the package's own cluster is not used), then the npm packages (npm ci builds canvas and
# better-sqlite3 from source).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential python3 libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev chromium postgresql)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
[ -f .env ] || cp .env.example .env
