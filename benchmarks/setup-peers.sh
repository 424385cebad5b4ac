#!/usr/bin/env bash
# Installs the benchmark peers from Debian (no pip, no network beyond apt): PyTorch with OpenBLAS for
# benchmarks/kernels (peer_torch.py), and threadpoolctl to record which BLAS kernel it runs.
# Usage: sudo bash benchmarks/setup-peers.sh   (idempotent; does nothing when already installed)
# Debian's packages land in /usr/bin/python3's dist-packages; the bench also looks there when `python3`
# on PATH is another interpreter (pyenv, venv). Override with MEMPO_PYTHON.
set -euo pipefail
PY="${MEMPO_PYTHON:-/usr/bin/python3}"
need=()
"$PY" -c "import torch" 2>/dev/null || need+=(python3-torch)
"$PY" -c "import threadpoolctl" 2>/dev/null || need+=(python3-threadpoolctl)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
if [ ${#need[@]} -eq 0 ]; then
  echo "setup-peers: python3-torch, threadpoolctl and OpenBLAS already installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup-peers: installing ${need[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
"$PY" -c "import torch; print('setup-peers: torch', torch.__version__, 'in', '$PY')"
