#!/usr/bin/env bash
# Measures, on this host, how long a worker takes from the start of its
# rendered bootstrap (kubeadm join) to its Node registered and to Ready, with
# the real Kubernetes programs of scripts/install-kubernetes.sh, by running
# the cluster test (tests/kubernetes_e2e.rs) RUNS times (default 3; 1 with
# --quick). Writes the "Real Kubernetes" section of docs/benchmarks.md
# (between its markers, replacing an earlier one). Called by
# scripts/bench.sh; runs alone too. Needs root, like the test.
#
#   scripts/bench-kubernetes.sh [--quick] [--runs N]
#
# Environment: KUBEADM_BENCH_REPORT (default docs/benchmarks.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) runs=1 ;;
    --runs) runs="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-kubernetes: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
report="${KUBEADM_BENCH_REPORT:-$root/docs/benchmarks.md}"
out="$root/target/bench-results/kubernetes"
rm -rf "$out" && mkdir -p "$out"
log() { printf '==> %s\n' "$*" >&2; }

bash scripts/install-terraform.sh >&2
bash scripts/install-ignition.sh >&2
bash scripts/install-kubernetes.sh >&2
export PATH="$root/.tools/bin:$PATH"
. "$root/.tools/kubernetes/versions.env"
cargo test --locked --test kubernetes_e2e --no-run >&2
for i in $(seq "$runs"); do
  log "cluster run $i of $runs"
  cargo test --locked --test kubernetes_e2e -- --nocapture >"$out/run-$i.txt" 2>&1 || {
    tail -40 "$out/run-$i.txt" >&2
    exit 1
  }
  grep 'e2e-timing:' "$out/run-$i.txt" >&2
done

# Median of the values of one timing line across the runs.
median() {
  grep -h "e2e-timing: $1 " "$out"/run-*.txt | awk '{ print $NF }' | tr -d s | sort -n \
    | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f s", m }'
}

section="$out/section.md"
{
  echo "<!-- kubernetes-e2e:begin -->"
  echo "## Real Kubernetes: from kubeadm join to a Ready Node"
  echo
  echo "Kubernetes $KUBERNETES_VERSION (built from the Go module proxy), etcd $ETCD_VERSION, Debian's"
  echo "containerd $(containerd --version | awk '{ print $3 }'), on $(nproc) cores; median of $runs run(s) of"
  echo "\`cargo test --test kubernetes_e2e\` ($(date -u +%Y-%m-%d)). Each node is a network and mount namespace on"
  echo "this host (the adaptations are listed in the test's documentation); timings start when the node's"
  echo "rendered bootstrap script starts."
  echo
  echo "| step | Flatcar worker | Fedora CoreOS worker |"
  echo "|---|---:|---:|"
  echo "| \`kubeadm join\` start → Node registered | $(median 'worker flatcar join to Node registered') | $(median 'worker fedora-coreos join to Node registered') |"
  echo "| \`kubeadm join\` start → Node Ready | $(median 'worker flatcar join to Node Ready') | $(median 'worker fedora-coreos join to Node Ready') |"
  echo
  echo "| step | time |"
  echo "|---|---:|"
  echo "| \`kubeadm init\` (Flatcar), bootstrap script start → done | $(median 'kubeadm init') |"
  echo "| \`kubeadm join --control-plane\` (Fedora CoreOS), start → done | $(median 'kubeadm join --control-plane') |"
  echo "| the init config on a second machine (finds the cluster, joins), start → done | $(median 'init config on a second machine (join)') |"
  echo "| \`data \"kubeadm_cluster_health\"\` waiting for two workers to turn Ready | $(median 'health gate waited') |"
  echo "| the whole test (apply, nine machines booted, refusals, rotation, day 2) | $(median 'whole test') |"
  echo "<!-- kubernetes-e2e:end -->"
} >"$section"

if grep -q '<!-- kubernetes-e2e:begin -->' "$report" 2>/dev/null; then
  awk -v f="$section" '
    /<!-- kubernetes-e2e:begin -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
    /<!-- kubernetes-e2e:end -->/ { skip = 0; next }
    !skip { print }' "$report" >"$report.tmp"
  mv "$report.tmp" "$report"
else
  { echo; cat "$section"; } >>"$report"
fi
cat "$section"
log "wrote ${report#"$root"/}"
