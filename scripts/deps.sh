#!/usr/bin/env bash
# Installs the Debian packages Paspor needs to build, run and test, when missing.
# Called by `make run`, `make test` and `.ci/run`; safe to run again (does nothing when
# everything is there). We run as root on Debian 12; elsewhere it only reports.
set -euo pipefail

pkgs=(
  build-essential pkg-config clang libclang-rt-14-dev
  libssl-dev openssl libsodium-dev libutf8proc-dev libjansson-dev libjpeg-dev
  libsqlite3-dev sqlite3
  xxd python3 curl tzdata time
  libmicrohttpd-dev libconfig-dev liboath-dev oathtool libcurl4-openssl-dev
  python3-prometheus-client
  libp11-kit-dev p11-kit softhsm2 libengine-pkcs11-openssl opensc
  libcairo2-dev libpng-dev libisal-dev fonts-ocr-b poppler-utils
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Node.js (test oracles only): some machines carry a newer nodejs that bundles npm and
# conflicts with Debian's npm package, so ask for the commands, not the packages.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
