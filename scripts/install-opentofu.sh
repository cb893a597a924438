#!/usr/bin/env bash
# Installs OpenTofu, the second Terraform implementation the acceptance tests
# run against:
#
#   .tools/opentofu/<version>/tofu
#
# OpenTofu is built from source with Go from the Go module proxy. Its go.mod
# replaces github.com/hashicorp/hcl/v2 with OpenTofu's fork, which a
# dependent module (and `go install ...@version`) ignores, so the module is
# built as the main module: downloaded, copied to a writable directory, then
# `go build ./cmd/tofu` inside it. The version flags are the ones OpenTofu's
# release build sets (.goreleaser.yaml: version.dev=no, -trimpath, no cgo),
# so `tofu version` prints the release rather than "<version>-dev".
# The built binary is kept in a per-machine cache (KUBEADM_BUILD_CACHE,
# default ~/.cache/terraform-provider-kubeadm) keyed by release and Go
# version, so a warm run only checks and copies it.
#
# The version lives here and only here; tests find the binary under
# .tools/opentofu/ (tests/support/mod.rs).
#
#   KUBEADM_TOOLS_DIR    tools directory (default: <repo>/.tools)
#   KUBEADM_BUILD_CACHE  machine-wide cache of built binaries
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${KUBEADM_TOOLS_DIR:-$root/.tools}"
cache="${KUBEADM_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-kubeadm}"

# The newest stable release the Go module proxy serves
# (`go list -m -versions github.com/opentofu/opentofu`). It asks for Go 1.26.
opentofu_version=v1.12.6
module=github.com/opentofu/opentofu

step() { printf '[install-opentofu %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'install-opentofu: %s\n' "$*" >&2; exit 1; }

# Prints the version a tofu binary reports (e.g. 1.12.6), or nothing.
tofu_version() {
  local out empty
  [ -x "$1" ] || return 0
  empty="$(mktemp)"
  out="$(cd / && TF_CLI_CONFIG_FILE="$empty" CHECKPOINT_DISABLE=1 "$1" version 2>/dev/null)" || out=
  rm -f "$empty"
  out="${out%%$'\n'*}"
  case "$out" in "OpenTofu v"*) printf '%s\n' "${out#OpenTofu v}" ;; esac
  return 0
}

has_version() { [ "$(tofu_version "$1")" = "${2#v}" ]; }

build_tofu() {
  local version="$1" key="$2"
  command -v go >/dev/null 2>&1 || die "Go is required to build OpenTofu (the polyglot machine has it)"
  local t0=$SECONDS dir src
  step "downloading $module $version from the Go module proxy"
  dir="$(cd / && go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [ -n "$dir" ] && [ -f "$dir/go.mod" ] || die "the Go module proxy did not give $module@$version"
  # The module cache is read-only and the build must run in the module's own
  # directory (its replace lines only apply there): build from a copy.
  src="$cache/src/opentofu-$version"
  if [ ! -f "$src/go.mod" ]; then
    rm -rf "$src.tmp"
    mkdir -p "$(dirname "$src")"
    cp -r "$dir" "$src.tmp"
    chmod -R u+w "$src.tmp"
    rm -rf "$src"
    mv "$src.tmp" "$src"
  fi
  step "building tofu $version (minutes the first time on two cores)"
  mkdir -p "$key"
  # GOTOOLCHAIN=local: the cache key names the Go on PATH, so build with it
  # (Go says so plainly when the module asks for a newer one).
  (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN=local go build -mod=readonly -trimpath \
    -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
    -o "$key/tofu.tmp" ./cmd/tofu)
  has_version "$key/tofu.tmp" "$version" || die "the built tofu does not report OpenTofu $version"
  mv "$key/tofu.tmp" "$key/tofu"
  step "built tofu $version in $((SECONDS - t0)) s"
}

t_start=$SECONDS
key="$cache/opentofu/$opentofu_version-$(go env GOVERSION 2>/dev/null || echo nogo)"
out="$tools/opentofu/${opentofu_version#v}"
if [ -x "$out/tofu" ] && has_version "$out/tofu" "$opentofu_version"; then
  step "tofu $opentofu_version already installed: $out/tofu"
  exit 0
fi
[ -x "$key/tofu" ] && has_version "$key/tofu" "$opentofu_version" || build_tofu "$opentofu_version" "$key"
mkdir -p "$out"
cp "$key/tofu" "$out/tofu.tmp" && mv "$out/tofu.tmp" "$out/tofu"
has_version "$out/tofu" "$opentofu_version" || die "$out/tofu does not report OpenTofu $opentofu_version"
step "tofu $opentofu_version ready in $((SECONDS - t_start)) s: $out/tofu"
