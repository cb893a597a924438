#!/usr/bin/env bash
# Builds the Go program tests/capi/capi_cabpk.rs compares compat mode against:
#
#   .tools/cabpk-types/<Cluster API version>/cabpk-types
#
# tests/cabpk-types is a Go module of its own that pins Cluster API's main
# module (sigs.k8s.io/cluster-api) and its API module; the program renders a
# node's kubeadm documents with Cluster API's own types and conversions. The
# version is the one tests/cabpk-types/go.mod requires (read from there, so it
# lives in one place), and go.sum pins every module, so the build runs with
# -mod=readonly and never changes them.
#
# Next to the binary, `sources.sha256` records which sources it was built
# from: a run with the binary present and the record matching does nothing
# but check (a second or less), and the test refuses a binary built from
# other sources. The first build downloads the modules from the Go module
# proxy and compiles Kubernetes' apimachinery and controller-runtime (a few
# minutes on two cores); Go's build cache makes later rebuilds quick.
#
#   KUBEADM_TOOLS_DIR    tools directory (default: <repo>/.tools)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${KUBEADM_TOOLS_DIR:-$root/.tools}"
src="$root/tests/cabpk-types"

step() { printf '[install-cabpk-types %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'install-cabpk-types: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "Go is required to build tests/cabpk-types (the polyglot machine has it)"
[ -f "$src/go.mod" ] && [ -f "$src/go.sum" ] || die "$src/go.mod or go.sum is missing"

capi_version="$(sed -n 's/^[[:space:]]*sigs\.k8s\.io\/cluster-api[[:space:]]\{1,\}\(v[^[:space:]]*\).*/\1/p' "$src/go.mod" | head -n 1)"
[ -n "$capi_version" ] || die "$src/go.mod requires no sigs.k8s.io/cluster-api version"

# The sources the binary comes from, in name order: each file's name on a
# line of its own, then its content (tests/capi/capi_cabpk.rs computes the same).
sources_sha256() {
  (
    cd "$src"
    for f in $(LC_ALL=C ls -- *.go go.mod go.sum); do
      printf '%s\n' "$f"
      cat -- "$f"
    done
  ) | sha256sum | cut -d' ' -f1
}

out="$tools/cabpk-types/$capi_version"
want="$(sources_sha256)"
if [ -x "$out/cabpk-types" ] && [ "$(cat "$out/sources.sha256" 2>/dev/null)" = "$want" ]; then
  step "cabpk-types (Cluster API $capi_version) already built: $out/cabpk-types"
  exit 0
fi

t0=$SECONDS
step "building cabpk-types against Cluster API $capi_version (minutes the first time on two cores)"
mkdir -p "$out"
rm -f "$out/sources.sha256"
# GOTOOLCHAIN=local: build with the Go on PATH (Go says so plainly when the
# module asks for a newer one). GOFLAGS from the machine are kept.
(cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN=local go build -mod=readonly -trimpath -o "$out/cabpk-types.tmp" .)
mv "$out/cabpk-types.tmp" "$out/cabpk-types"
printf '%s\n' "$want" >"$out/sources.sha256"
step "built cabpk-types in $((SECONDS - t0)) s: $out/cabpk-types"
