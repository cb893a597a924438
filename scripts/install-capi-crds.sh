#!/usr/bin/env bash
# Installs the CustomResourceDefinitions of Cluster API that the tests load
# into a real kube-apiserver (tests/capi/capi_apiserver.rs):
#
#   .tools/capi/<version>/crds/*.yaml
#   .tools/capi/versions.env            (CAPI_VERSION, CAPI_CRDS_DIR)
#
# The CRDs are plain YAML files in the sigs.k8s.io/cluster-api module, which
# the Go module proxy serves: the module is downloaded (nothing is built) and
# the files the tests need are copied out of it: the core group's Cluster,
# Machine, MachineSet and MachineDeployment, the kubeadm bootstrap provider's
# KubeadmConfig and KubeadmConfigTemplate, and the kubeadm control-plane
# provider's KubeadmControlPlane and KubeadmControlPlaneTemplate.
#
# The files are taken as they are. The `config/crd/bases` files carry no
# `spec.conversion` stanza (Cluster API's release manifests add the
# conversion webhook with a kustomize patch), so the API server converts
# between the served versions by rewriting apiVersion only; the tests write
# and read the storage version alone. The copy is checked for a conversion
# stanza, so a version that adds one to its bases fails here rather than in
# the tests.
#
# Does nothing (and is fast) when the files of this version are in place.
# The version lives here and only here; tests read .tools/capi/versions.env.
#
#   KUBEADM_TOOLS_DIR    tools directory (default: <repo>/.tools)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${KUBEADM_TOOLS_DIR:-$root/.tools}"

# The newest Cluster API release at the time of pinning; its v1beta2 API is
# the storage version of every CRD below (v1beta1 is served, deprecated).
capi_version=v1.14.2
module=sigs.k8s.io/cluster-api

files=(
  core/config/crd/bases/cluster.x-k8s.io_clusters.yaml
  core/config/crd/bases/cluster.x-k8s.io_machines.yaml
  core/config/crd/bases/cluster.x-k8s.io_machinesets.yaml
  core/config/crd/bases/cluster.x-k8s.io_machinedeployments.yaml
  bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigs.yaml
  bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigtemplates.yaml
  controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml
  controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanetemplates.yaml
)

step() { printf '[install-capi-crds %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'install-capi-crds: %s\n' "$*" >&2; exit 1; }

dest="$tools/capi/$capi_version/crds"
env_file="$tools/capi/versions.env"
stamp="$dest/.module"

write_env() {
  local tmp
  tmp="$(mktemp "$tools/capi/.versions.env.XXXXXX")"
  printf 'CAPI_VERSION=%s\nCAPI_CRDS_DIR=%s\n' "$capi_version" "$dest" >"$tmp"
  mv -f "$tmp" "$env_file"
}

complete() {
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$module@$capi_version" ] || return 1
  local f
  for f in "${files[@]}"; do
    [ -s "$dest/$(basename "$f")" ] || return 1
  done
}

mkdir -p "$tools/capi"
if complete; then
  [ -f "$env_file" ] && grep -qx "CAPI_CRDS_DIR=$dest" "$env_file" || write_env
  echo "capi crds: $dest (${#files[@]} files, $module@$capi_version)"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is required to download $module (the polyglot machine has it)"
step "downloading $module $capi_version from the Go module proxy"
# Outside any module, so no go.mod around the working directory interferes.
dir="$(cd / && go mod download -json "$module@$capi_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
[ -n "$dir" ] && [ -d "$dir" ] || die "the Go module proxy did not give $module@$capi_version"

tmp="$(mktemp -d "$tools/capi/.crds.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
for f in "${files[@]}"; do
  [ -f "$dir/$f" ] || die "$module@$capi_version has no $f"
  # A CRD that names a conversion webhook would need a webhook server that
  # the tests do not run: stop instead of installing it.
  if grep -q '^  conversion:' "$dir/$f"; then
    die "$f of $module@$capi_version has a spec.conversion stanza; the tests expect none (see the comment at the top of this script)"
  fi
  cp "$dir/$f" "$tmp/$(basename "$f")"
  chmod 0644 "$tmp/$(basename "$f")"
done
printf '%s\n' "$module@$capi_version" >"$tmp/.module"
chmod 0755 "$tmp"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp" "$dest"
trap - EXIT
write_env
echo "capi crds: $dest (${#files[@]} files, $module@$capi_version)"
