#!/usr/bin/env bash
# Installs s3s-fs, the S3 server backed by a local directory that the
# presigned-URL tests start: unlike moto it checks SigV4 signatures and the
# expiry of presigned URLs. Built from source with cargo (about five minutes
# on two cores) into a per-machine cache keyed by the s3s version and the
# Rust compiler's, so a warm run, in a fresh checkout too, only copies it into
# .tools/s3s and links it as .tools/bin/s3s-fs. Does nothing when an s3s-fs
# is already on PATH or installed.
#
#   KUBEADM_TOOLS_DIR    tools directory (default: <repo>/.tools)
#   KUBEADM_BUILD_CACHE  machine-wide cache of built binaries
#                        (default: ~/.cache/terraform-provider-kubeadm)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${KUBEADM_TOOLS_DIR:-$root/.tools}"
cache="${KUBEADM_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-kubeadm}"
version=0.14.1 # newer releases need a newer rustc than the project's
bin="$tools/s3s/bin/s3s-fs"

if command -v s3s-fs >/dev/null 2>&1; then
  echo "s3s-fs: $(command -v s3s-fs)"
  exit 0
fi
if [ ! -x "$bin" ]; then
  key="$cache/s3s/$version-rustc$(rustc -V | awk '{print $2}')"
  if [ ! -x "$key/bin/s3s-fs" ]; then
    # Built beside the cache entry and moved in whole, so an interrupted
    # build never leaves a half-written entry behind.
    work="$key.tmp.$$"
    rm -rf "$work"
    mkdir -p "$(dirname "$key")"
    cargo install "s3s-fs@$version" --features binary --locked --root "$work"
    rm -rf "$key"
    mv "$work" "$key"
  fi
  mkdir -p "$(dirname "$bin")"
  cp "$key/bin/s3s-fs" "$bin.tmp"
  mv "$bin.tmp" "$bin"
fi
mkdir -p "$tools/bin"
ln -sf "$bin" "$tools/bin/s3s-fs"
echo "s3s-fs: $tools/bin/s3s-fs (add $tools/bin to PATH)"
