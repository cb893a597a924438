#!/usr/bin/env bash
# Installs the moto S3 server the storage tests start (from PyPI, into
# .tools/venv-moto, linked as .tools/bin/moto_server). Does nothing when a
# moto_server is already on PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${KUBEADM_TOOLS_DIR:-$root/.tools}"

if command -v moto_server >/dev/null 2>&1; then
  echo "moto_server: $(command -v moto_server)"
  exit 0
fi
python="${PYTHON:-python3}"
"$python" -m venv "$tools/venv-moto"
"$tools/venv-moto/bin/pip" install --quiet 'moto[server]' boto3
mkdir -p "$tools/bin"
ln -sf "$tools/venv-moto/bin/moto_server" "$tools/bin/moto_server"
echo "moto_server: $tools/bin/moto_server (add $tools/bin to PATH)"
