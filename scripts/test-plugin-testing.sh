#!/usr/bin/env bash
# Runs the Go acceptance suite in tests/plugin-testing (written with
# terraform-plugin-testing) against the RELEASE provider binary, once with
# Terraform 1.15.5 and once with OpenTofu 1.12.6:
#
#   1. scripts/release.sh when the dist zip is missing or older than the
#      sources or the release binary: with --no-build when the release binary
#      is newer than every source, an incremental cargo build --release when not;
#   2. scripts/install-mirror.sh lays the zip out as a filesystem mirror in a
#      temporary directory;
#   3. a CLI config (TF_CLI_CONFIG_FILE) installs kubeadm-ignition/* from that
#      mirror and nothing else from anywhere;
#   4. `go test ./...` in tests/plugin-testing per CLI, with TF_ACC=1 and
#      TF_ACC_TERRAFORM_PATH set, so the harness never downloads Terraform,
#      and TF_ACC_PROVIDER_NAMESPACE=hashicorp, without which OpenTofu refuses
#      the reattach list of the in-process echo provider (legacy namespace "-").
#
# Go modules come from the normal module cache (GOMODCACHE) and go.sum is
# committed: -mod=readonly refuses any change to go.mod or go.sum.
#
# Usage: scripts/test-plugin-testing.sh [GO TEST ARGS...]   e.g. -run TestAccBadInput
#
# Environment:
#   PLUGIN_TESTING_CLIS   which CLIs to run, default "terraform opentofu"
#   TERRAFORM             Terraform binary (default .tools/terraform-1.15.5/terraform)
#   TOFU                  OpenTofu binary (default .tools/opentofu/1.12.6/tofu)
#   PLUGIN_TESTING_TIMEOUT  go test -timeout per CLI (default 20m)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

die() {
  echo "test-plugin-testing: $*" >&2
  exit 1
}
step() { printf '[test-plugin-testing %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

terraform_version=1.15.5
opentofu_version=1.12.6
tools="${KUBEADM_TOOLS_DIR:-$root/.tools}"
terraform_bin="${TERRAFORM:-$tools/terraform-$terraform_version/terraform}"
tofu_bin="${TOFU:-$tools/opentofu/$opentofu_version/tofu}"
clis="${PLUGIN_TESTING_CLIS:-terraform opentofu}"
timeout="${PLUGIN_TESTING_TIMEOUT:-20m}"

command -v go >/dev/null 2>&1 || die "go is not installed: install Go 1.25.8 or newer"

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
[ -n "$version" ] || die "cannot read the package version from Cargo.toml"
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64 | Linux/amd64) platform=linux_amd64 ;;
  Linux/aarch64 | Linux/arm64) platform=linux_arm64 ;;
  Darwin/x86_64) platform=darwin_amd64 ;;
  Darwin/arm64) platform=darwin_arm64 ;;
  *) die "no release platform for $(uname -s)/$(uname -m)" ;;
esac
dist="$root/target/dist"
zip="$dist/terraform-provider-kubeadm_${version}_${platform}.zip"
release_bin="${CARGO_TARGET_DIR:-$root/target}/release/terraform-provider-kubeadm"

# The zip is stale when anything that goes into the binary, or the release
# binary itself, is newer than it.
stale=""
if [ ! -f "$zip" ] || [ ! -f "$dist/terraform-provider-kubeadm_${version}_SHA256SUMS" ]; then
  stale="no $zip"
else
  newer="$(find src proto build.rs Cargo.toml Cargo.lock "$release_bin" -newer "$zip" -print -quit 2>/dev/null || true)"
  [ -z "$newer" ] || stale="$newer is newer than the zip"
fi
if [ -n "$stale" ]; then
  # A release binary no source is newer than (tests/release.rs has just built
  # one) is packaged as it is: building again from here would be a different
  # environment for some build scripts, and cargo would compile aws-lc-sys
  # and everything above it once more for the same binary.
  if [ -x "$release_bin" ] && [ -z "$(find src proto build.rs Cargo.toml Cargo.lock -newer "$release_bin" -print -quit 2>/dev/null || true)" ]; then
    step "release zip out of date ($stale); the release binary is up to date: scripts/release.sh --no-build"
    bash scripts/release.sh --no-build
  else
    step "release zip out of date ($stale): scripts/release.sh"
    bash scripts/release.sh
  fi
else
  step "release zip up to date: $zip"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/kubeadm-plugin-testing.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mirror="$work/mirror"
bash scripts/install-mirror.sh "$dist" "$mirror" "$version" >"$work/install-mirror.log" ||
  { cat "$work/install-mirror.log" >&2; die "scripts/install-mirror.sh failed"; }
for host in registry.terraform.io registry.opentofu.org; do
  [ -f "$mirror/$host/kubeadm-ignition/kubeadm/$(basename "$zip")" ] ||
    die "the mirror has no $host/kubeadm-ignition/kubeadm/$(basename "$zip"): scripts/install-mirror.sh must lay the zip out for both Terraform's and OpenTofu's registry host"
done

# Only the provider under test can be installed, and only from the mirror:
# there is no direct installation method for anything else.
cat >"$work/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/kubeadm-ignition/*", "registry.opentofu.org/kubeadm-ignition/*"]
  }
}
EOF

# Prints the first line of `<cli> version`, or fails with a hint.
cli_banner() {
  local bin="$1" want="$2" hint="$3" banner
  [ -x "$bin" ] || die "$bin is missing: run $hint"
  banner="$(cd "$work" && TF_CLI_CONFIG_FILE="$work/cli.tfrc" CHECKPOINT_DISABLE=1 "$bin" version 2>/dev/null | grep -m 1 -E '^(Terraform|OpenTofu) v')" || true
  [ "$banner" = "$want" ] || die "$bin says '${banner:-nothing}', want '$want': run $hint"
  printf '%s\n' "$banner"
}

failed=""
for cli in $clis; do
  case "$cli" in
    terraform) bin="$terraform_bin" banner="$(cli_banner "$terraform_bin" "Terraform v$terraform_version" scripts/install-terraform.sh)" ;;
    opentofu) bin="$tofu_bin" banner="$(cli_banner "$tofu_bin" "OpenTofu v$opentofu_version" scripts/install-opentofu.sh)" ;;
    *) die "unknown CLI $cli in PLUGIN_TESTING_CLIS: use terraform and/or opentofu" ;;
  esac
  step "go test ./... in tests/plugin-testing with $banner ($bin), provider $version from $mirror"
  mkdir -p "$work/$cli"
  start=$(date +%s)
  if (
    cd tests/plugin-testing &&
      env -u TF_ACC_TERRAFORM_VERSION -u TF_ACC_PROVIDER_HOST \
        TF_ACC=1 \
        TF_ACC_PROVIDER_NAMESPACE=hashicorp \
        TF_ACC_TERRAFORM_PATH="$bin" \
        TF_ACC_TEMP_DIR="$work/$cli" \
        TF_CLI_CONFIG_FILE="$work/cli.tfrc" \
        TF_IN_AUTOMATION=1 \
        CHECKPOINT_DISABLE=1 \
        KUBEADM_PROVIDER_VERSION="$version" \
        GOTOOLCHAIN=local \
        go test -mod=readonly -count=1 -timeout "$timeout" -v "$@" ./...
  ); then
    step "$banner: passed in $(($(date +%s) - start)) s"
  else
    step "$banner: FAILED after $(($(date +%s) - start)) s"
    failed="$failed $cli"
  fi
done
[ -z "$failed" ] || die "the suite failed with:$failed"
