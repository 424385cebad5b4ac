#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (idempotent; needs root or sudo).
# Set MEMPO_SKIP_APT=1 to skip. Packages: none are required yet; the WebGPU backend's
# tests will add Mesa (libegl-mesa0 libgl1-mesa-dri libegl-dev) here.
set -euo pipefail
[ "${MEMPO_SKIP_APT:-0}" = 1 ] && exit 0
PKGS=()
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
