#!/usr/bin/env bash
# Lays release zips out as a *packed* filesystem mirror for Terraform and
# OpenTofu:
#
#   DIR/registry.terraform.io/kubeadm-ignition/kubeadm/terraform-provider-kubeadm_<version>_<os>_<arch>.zip
#   DIR/registry.opentofu.org/kubeadm-ignition/kubeadm/terraform-provider-kubeadm_<version>_<os>_<arch>.zip
#
# after checking each zip against the release's SHA256SUMS. The same zip goes
# under both hosts: Terraform reads `source = "kubeadm-ignition/kubeadm"` as
# registry.terraform.io/kubeadm-ignition/kubeadm, OpenTofu as
# registry.opentofu.org/kubeadm-ignition/kubeadm. A CLI config with
#
#   provider_installation {
#     filesystem_mirror { path = "DIR" }
#   }
#
# (TF_CLI_CONFIG_FILE for both, or ~/.terraformrc / ~/.tofurc) then lets
# `terraform init` and `tofu init` install the provider without a network.
#
# Usage: scripts/install-mirror.sh DIST DIR [VERSION]
#   DIST     the output directory of scripts/release.sh
#   DIR      the mirror directory (created when missing)
#   VERSION  default: the version in Cargo.toml
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

die() {
  echo "install-mirror: $*" >&2
  exit 1
}

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: scripts/install-mirror.sh DIST DIR [VERSION]"
dist="$1"
mirror="$2"
version="${3:-$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)}"
[ -n "$version" ] || die "cannot tell the version: pass it as the third argument"
[ -d "$dist" ] || die "$dist is not a directory: run scripts/release.sh first"
case "$mirror" in
  /*) ;;
  *) mirror="$PWD/$mirror" ;;
esac

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
  fi
}

prefix="terraform-provider-kubeadm_${version}"
sums="$dist/${prefix}_SHA256SUMS"
[ -f "$sums" ] || die "no $sums: run scripts/release.sh (version $version) first"

hosts="registry.terraform.io registry.opentofu.org"
for host in $hosts; do
  mkdir -p "$mirror/$host/kubeadm-ignition/kubeadm"
done
installed=0
for zip in "$dist/${prefix}"_*.zip; do
  [ -f "$zip" ] || continue
  name="$(basename "$zip")"
  want="$(awk -v n="$name" '$2 == n { print $1 }' "$sums")"
  [ -n "$want" ] || die "$name is not listed in $sums: run scripts/release.sh again"
  got="$(sha256 "$zip")"
  [ "$got" = "$want" ] || die "$name has sha256 $got but $sums says $want: the file changed after the release, run scripts/release.sh again"
  for host in $hosts; do
    target="$mirror/$host/kubeadm-ignition/kubeadm"
    cp "$zip" "$target/$name.tmp"
    chmod 0644 "$target/$name.tmp"
    mv "$target/$name.tmp" "$target/$name"
    echo "installed $target/$name"
  done
  installed=$((installed + 1))
done
[ "$installed" -gt 0 ] || die "no ${prefix}_<os>_<arch>.zip in $dist: run scripts/release.sh first"

cat <<EOF
Point Terraform at the mirror with a CLI config (TF_CLI_CONFIG_FILE, or ~/.terraformrc):

  provider_installation {
    filesystem_mirror {
      path    = "$mirror"
      include = ["registry.terraform.io/kubeadm-ignition/*"]
    }
    direct {
      exclude = ["registry.terraform.io/kubeadm-ignition/*"]
    }
  }

Point OpenTofu at it the same way (TF_CLI_CONFIG_FILE, or ~/.tofurc), with its registry's host:

  provider_installation {
    filesystem_mirror {
      path    = "$mirror"
      include = ["registry.opentofu.org/kubeadm-ignition/*"]
    }
    direct {
      exclude = ["registry.opentofu.org/kubeadm-ignition/*"]
    }
  }
EOF
