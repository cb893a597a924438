#!/usr/bin/env bash
# Benchmarks the provider and writes docs/benchmarks.md.
#
#   scripts/bench.sh [--quick] [END-TO-END OPTIONS...]
#
# Builds the provider in release mode, installs it into a filesystem mirror
# (as scripts/quickstart.sh does), starts a local moto S3 server, runs the
# benches (provider process, render, PKI, tokens, S3 store), then the
# end-to-end runs with Terraform 1.15.5: apply and plan for N = 100 and 1000
# kubeadm_ignition_config on the local and the S3 store, next to the
# terraform_data floor and the hashicorp/aws provider's aws_s3_object. Prints
# the tables and writes docs/benchmarks.md (machine, versions, date, numbers,
# targets), then the real-Kubernetes join timings (scripts/bench-kubernetes.sh).
#
#   --quick    N = 100 only, one run, fewer S3 requests (a smoke test of the
#              harness; the numbers are noisy)
#
# Anything else goes to the end-to-end bench, e.g. `--sizes 1000 --runs 1`,
# `--scenarios floor,local,s3,aws,sized` (`sized`: a terraform_data control whose
# state per instance weighs what a kubeadm node's does), `--parallelism 10`.
#
# Environment: KUBEADM_TOOLS_DIR (default .tools), KUBEADM_BENCH_TERRAFORM
# (default .tools/terraform-1.15.5/terraform), KUBEADM_BENCH_AWS_MIRROR
# (default /opt/tf-plugins), KUBEADM_BENCH_REPORT (default docs/benchmarks.md).
# Run it on a quiet machine: other load shows up in every number.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

quick=0
e2e_args=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1; e2e_args+=(--quick) ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) e2e_args+=("$arg") ;;
  esac
done

log() { printf '==> %s\n' "$*" >&2; }

tools="${KUBEADM_TOOLS_DIR:-$root/.tools}"
report="${KUBEADM_BENCH_REPORT:-$root/docs/benchmarks.md}"
out="$root/target/bench-results"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"

load="$(cut -d' ' -f1 /proc/loadavg)"
cores="$(nproc)"
if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c / 2) }'; then
  log "warning: load average $load on $cores cores; the numbers will be noisy"
fi

log "building the provider (release)"
cargo build --release --locked

log "installing the provider into a filesystem mirror"
mirror="$root/target/bench-mirror"
plugin_dir="$mirror/registry.terraform.io/kubeadm-ignition/kubeadm/$version/linux_amd64"
rm -rf "$mirror"
mkdir -p "$plugin_dir"
install -m 0755 target/release/terraform-provider-kubeadm "$plugin_dir/terraform-provider-kubeadm_v$version"
export KUBEADM_BENCH_MIRROR="$mirror"

log "building the benches (release)"
benches=(plugin render pki token s3 e2e)
cargo bench --locked --no-run "${benches[@]/#/--bench=}"

if [[ -z "${KUBEADM_BENCH_TERRAFORM:-}" && ! -x "$tools/terraform-1.15.5/terraform" ]]; then
  log "Terraform 1.15.5 is missing; installing it"
  bash scripts/install-terraform.sh
fi

moto="$(command -v moto_server || true)"
if [[ -z "$moto" && -x "$tools/bin/moto_server" ]]; then
  moto="$tools/bin/moto_server"
fi
if [[ -z "$moto" ]]; then
  log "moto_server is missing; installing it"
  bash scripts/install-moto.sh
  moto="$tools/bin/moto_server"
fi
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log "starting moto on 127.0.0.1:$port"
"$moto" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    break
  fi
  kill -0 "$moto_pid" 2>/dev/null || { log "moto_server exited"; exit 1; }
  sleep 0.1
done
export KUBEADM_BENCH_S3_ENDPOINT="http://127.0.0.1:$port"

rm -rf "$out"
mkdir -p "$out"
bench() {
  local name="$1"
  log "cargo bench --bench $name"
  cargo bench --locked --quiet --bench "$name" | tee "$out/$name.txt"
}

bench plugin
bench render
bench pki
bench token
# S3 objects the size of a rendered worker config.
size="$(awk '$1 == "worker" && $2 == "flatcar" { print $6; exit }' "$out/render.txt")"
if ((quick)); then
  KUBEADM_BENCH_OBJECT_SIZE="${size:-10240}" KUBEADM_BENCH_S3_RUNS=100 bench s3
else
  KUBEADM_BENCH_OBJECT_SIZE="${size:-10240}" bench s3
fi

log "end to end (Terraform)"
cargo bench --locked --quiet --bench e2e -- --results "$out" --report "$report" "${e2e_args[@]}" \
  | tee "$out/e2e.txt"
if ((quick)); then
  bash scripts/bench-kubernetes.sh --quick
else
  bash scripts/bench-kubernetes.sh
fi
log "wrote ${report#"$root"/}"
