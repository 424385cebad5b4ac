#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (idempotent; needs root or sudo).
# Set MEMPO_SKIP_APT=1 to skip. Already-installed packages cost one `dpkg -s` each (no apt-get update).
# Packages:
#   libegl-mesa0 libgl1-mesa-dri libegl-dev — Mesa's EGL + llvmpipe (a CPU renderer): the WebGPU
#   backend's tests run on it through Dawn's OpenGL ES backend (packages/kernels/webgpu). Without
#   them those tests skip with the reason.
#   python3-requests — packages/env/search_r1_client_test.ts runs Search-R1's Python retrieval client
#   (it posts with requests) against our /retrieve server; skipped with the reason without it.
#   chromium — packaging/browser_test.ts opens the browser bundle of the packages in headless Chromium
#   (driven by playwright-core); skipped with the reason without it, an error when CI is set.
set -euo pipefail
[ "${MEMPO_SKIP_APT:-0}" = 1 ] && exit 0
command -v dpkg >/dev/null 2>&1 || { echo "setup-system: not a Debian system; skipping apt packages"; exit 0; }
PKGS=(libegl-mesa0 libgl1-mesa-dri libegl-dev python3-requests chromium)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
