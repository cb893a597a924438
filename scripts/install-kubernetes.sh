#!/usr/bin/env bash
# Installs the real Kubernetes programs the tests judge rendered nodes with:
#
#   .tools/kubernetes/<release>/bin/{kubeadm,kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kubectl}
#   .tools/kubernetes/<v1beta3 release>/bin/kubeadm   (the last kubeadm.k8s.io/v1beta3 release)
#   .tools/etcd/<release>/bin/etcd
#   containerd, runc and the CNI plugins (Debian's packages)
#
# The Kubernetes programs and etcd are built from source with Go from the Go
# module proxy: a small wrapper module requires k8s.io/kubernetes and points
# each of its staging modules (k8s.io/api, k8s.io/client-go, ...) at the same
# release, the way the upstream module's own go.mod does with local paths.
# Built binaries are kept in a per-machine cache (KUBEADM_BUILD_CACHE, default
# ~/.cache/terraform-provider-kubeadm) keyed by release and Go version, so a
# warm run only copies them; Go's own build and module caches make a rebuild
# after a version bump minutes rather than tens of minutes.
#
# Versions live here and only here; tests read them from
# .tools/kubernetes/versions.env, which this script writes.
#
#   KUBEADM_TOOLS_DIR    tools directory (default: <repo>/.tools)
#   KUBEADM_BUILD_CACHE  machine-wide cache of built binaries
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${KUBEADM_TOOLS_DIR:-$root/.tools}"
cache="${KUBEADM_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-kubeadm}"

# The newest release whose kubelet still runs on a cgroup v1 (hybrid) host by
# default: from 1.35 on the kubelet refuses cgroup v1 unless its own
# configuration sets failCgroupV1: false, and the test hosts mount cgroup v1.
# It also accepts Debian's containerd 1.6 (CRI v1).
kubernetes_version=v1.34.4
# kubeadm alone for older releases, to judge configs rendered for them: the
# last release on kubeadm.k8s.io/v1beta3 (v1beta4 arrived in 1.31), and the
# first on v1beta4. A kubeadm judges its own minor and the one before.
kubernetes_v1beta3_version=v1.30.14
kubernetes_v1beta4_first_version=v1.31.14
# The etcd minor that kubeadm 1.34 deploys (3.6.x).
etcd_version=v3.6.16

step() { printf '[install-kubernetes %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

need_go() {
  command -v go >/dev/null 2>&1 || {
    echo "install-kubernetes: Go is required to build the Kubernetes programs (the polyglot machine has it)" >&2
    exit 1
  }
}

go_tag() { go env GOVERSION; }

# Writes a wrapper module for k8s.io/kubernetes at $1 into directory $2.
k8s_wrapper() {
  local version="$1" dir="$2" staging_version modfile
  staging_version="v0.${version#v1.}"
  mkdir -p "$dir"
  (
    cd "$dir"
    if [ ! -f go.mod ]; then
      cat >go.mod <<EOF
module kubeadm-test-components

go 1.24
EOF
      cat >tools.go <<'EOF'
//go:build tools

// Package tools names the upstream programs this module builds.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
      step "k8s.io/kubernetes $version: resolving the module graph (downloads on the first run)"
      go mod download "k8s.io/kubernetes@$version"
      modfile="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
      go mod edit -require="k8s.io/kubernetes@$version"
      # Every staging module the upstream go.mod replaces with a local path.
      # The proxy lacks a few staging modules at some patch releases (e.g.
      # k8s.io/kube-proxy v0.31.14): take the newest patch of the same minor
      # it has, which carries the same API types.
      sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$modfile" | sort -u | while read -r m; do
        local use="$staging_version"
        if ! (cd / && go mod download "$m@$staging_version") >/dev/null 2>&1; then
          use="$(cd / && go list -m -versions "$m" | tr ' ' '\n' | grep "^${staging_version%.*}\." | sort -V | tail -1 || true)"
          if [ -z "$use" ]; then
            # Nothing built here imports it (the sample-* modules); tidy says so if that changes.
            step "$m ${staging_version%.*}.x is not served; left out"
            continue
          fi
          step "$m $staging_version is not served; using $use"
        fi
        go mod edit -replace="$m=$m@$use"
      done
      go mod tidy -e >/dev/null 2>&1 || go mod tidy
    fi
  )
}

ldflags_for() {
  local version="$1" minor
  minor="${version#v1.}"
  minor="${minor%%.*}"
  local p
  local flags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags="$flags -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  printf '%s' "$flags"
}

# build_k8s VERSION OUTDIR PROGRAM...
build_k8s() {
  local version="$1" out="$2"
  shift 2
  local key="$cache/kubernetes/$version-$(go_tag)"
  local missing=()
  local p
  for p in "$@"; do
    [ -x "$key/bin/$p" ] || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    need_go
    k8s_wrapper "$version" "$cache/src/kubernetes-$version"
    local flags
    flags="$(ldflags_for "$version")"
    mkdir -p "$key/bin"
    for p in "${missing[@]}"; do
      local pkg="k8s.io/kubernetes/cmd/$p"
      [ "$p" = kubectl ] && pkg="k8s.io/kubernetes/cmd/kubectl"
      step "building $p $version (minutes the first time on two cores)"
      local t0=$SECONDS
      (cd "$cache/src/kubernetes-$version" && CGO_ENABLED=0 go build -trimpath -ldflags "$flags" -o "$key/bin/$p.tmp" "$pkg")
      mv "$key/bin/$p.tmp" "$key/bin/$p"
      step "built $p in $((SECONDS - t0)) s"
    done
  fi
  mkdir -p "$out/bin"
  for p in "$@"; do
    if ! cmp -s "$key/bin/$p" "$out/bin/$p"; then
      cp "$key/bin/$p" "$out/bin/$p.tmp" && mv "$out/bin/$p.tmp" "$out/bin/$p"
    fi
  done
}

build_etcd() {
  local version="$1" out="$2"
  local key="$cache/etcd/$version-$(go_tag)"
  if [ ! -x "$key/bin/etcd" ]; then
    need_go
    local dir="$cache/src/etcd-$version"
    mkdir -p "$dir"
    (
      cd "$dir"
      if [ ! -f go.mod ]; then
        printf 'module kubeadm-test-etcd\n\ngo 1.24\n' >go.mod
        printf '//go:build tools\n\n// Package tools names the etcd server this module builds.\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
        step "etcd $version: resolving the module graph"
        go mod edit -require="go.etcd.io/etcd/server/v3@$version"
        go mod tidy -e >/dev/null 2>&1 || go mod tidy
      fi
      step "building etcd $version"
      mkdir -p "$key/bin"
      CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$key/bin/etcd.tmp" go.etcd.io/etcd/server/v3
      mv "$key/bin/etcd.tmp" "$key/bin/etcd"
    )
  fi
  mkdir -p "$out/bin"
  cmp -s "$key/bin/etcd" "$out/bin/etcd" || { cp "$key/bin/etcd" "$out/bin/etcd.tmp" && mv "$out/bin/etcd.tmp" "$out/bin/etcd"; }
}

debian_runtime() {
  local want=() p
  command -v containerd >/dev/null 2>&1 || want+=(containerd)
  command -v runc >/dev/null 2>&1 || want+=(runc)
  [ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || want+=(containernetworking-plugins)
  command -v ip >/dev/null 2>&1 || want+=(iproute2)
  command -v unshare >/dev/null 2>&1 || want+=(util-linux)
  command -v conntrack >/dev/null 2>&1 || want+=(conntrack)
  command -v iptables >/dev/null 2>&1 || want+=(iptables)
  command -v socat >/dev/null 2>&1 || want+=(socat)
  command -v ethtool >/dev/null 2>&1 || want+=(ethtool)
  if [ "${#want[@]}" -gt 0 ]; then
    step "installing Debian packages: ${want[*]}"
    bash "$root/scripts/apt-install.sh" "${want[@]}"
  fi
  for p in containerd runc ip unshare; do command -v "$p" >/dev/null; done
}

t_start=$SECONDS
debian_runtime
build_k8s "$kubernetes_version" "$tools/kubernetes/$kubernetes_version" kubeadm kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl
build_k8s "$kubernetes_v1beta3_version" "$tools/kubernetes/$kubernetes_v1beta3_version" kubeadm
build_k8s "$kubernetes_v1beta4_first_version" "$tools/kubernetes/$kubernetes_v1beta4_first_version" kubeadm
build_etcd "$etcd_version" "$tools/etcd/$etcd_version"

cni_dir=/usr/lib/cni
[ -x "$cni_dir/bridge" ] || cni_dir=/opt/cni/bin
minor_of() { local m="${1#v1.}"; printf '%s' "${m%%.*}"; }
cat >"$tools/kubernetes/versions.env" <<EOF
KUBERNETES_VERSION=$kubernetes_version
KUBERNETES_V1BETA3_VERSION=$kubernetes_v1beta3_version
ETCD_VERSION=$etcd_version
KUBERNETES_BIN=$tools/kubernetes/$kubernetes_version/bin
KUBEADM_1_$(minor_of "$kubernetes_version")=$tools/kubernetes/$kubernetes_version/bin/kubeadm
KUBEADM_1_$(minor_of "$kubernetes_v1beta3_version")=$tools/kubernetes/$kubernetes_v1beta3_version/bin/kubeadm
KUBEADM_1_$(minor_of "$kubernetes_v1beta4_first_version")=$tools/kubernetes/$kubernetes_v1beta4_first_version/bin/kubeadm
ETCD_BIN=$tools/etcd/$etcd_version/bin/etcd
CNI_BIN_DIR=$cni_dir
EOF
step "kubernetes $kubernetes_version, kubeadm $kubernetes_v1beta3_version and $kubernetes_v1beta4_first_version, etcd $etcd_version ready in $((SECONDS - t_start)) s ($tools/kubernetes/versions.env)"
