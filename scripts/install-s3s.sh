#!/usr/bin/env bash
# Installs s3s-fs, the S3 server backed by a local directory that the
# presigned-URL tests start: unlike moto it checks SigV4 signatures and the
# expiry of presigned URLs. Built from source with cargo into .tools/s3s
# (about six minutes once) and linked as .tools/bin/s3s-fs. Does nothing when
# an s3s-fs is already on PATH or built.
#
#   KUBEADM_TOOLS_DIR  tools directory (default: <repo>/.tools)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${KUBEADM_TOOLS_DIR:-$root/.tools}"
version=0.14.1 # newer releases need a newer rustc than the project's
bin="$tools/s3s/bin/s3s-fs"

if command -v s3s-fs >/dev/null 2>&1; then
  echo "s3s-fs: $(command -v s3s-fs)"
  exit 0
fi
if [ ! -x "$bin" ]; then
  cargo install "s3s-fs@$version" --features binary --locked --root "$tools/s3s"
fi
mkdir -p "$tools/bin"
ln -sf "$bin" "$tools/bin/s3s-fs"
echo "s3s-fs: $tools/bin/s3s-fs (add $tools/bin to PATH)"
