#!/usr/bin/env bash
# Runs every test: formatting, lints, unit tests, protocol tests, the
# acceptance tests against Terraform 1.0.3, 1.15.5, the one on PATH and
# OpenTofu, the Go acceptance suite written with terraform-plugin-testing, and
# the real-Kubernetes tests (every rendered kubeadm config judged by real
# kubeadm; a cluster brought up from rendered nodes). Installs what they run
# first: the pinned Terraform versions, moto and s3s-fs, the Ignition tools,
# strace, and Kubernetes and OpenTofu built from the Go module proxy (all into
# .tools/).
set -euo pipefail
cd "$(dirname "$0")/.."

# Switches that turn a check into a rewrite (UPDATE_*) or a narrower run (one
# Terraform, a subset of the bad-input cases) are for a developer's own runs,
# never for this command: refuse them before anything is installed.
for switch in UPDATE_GOLDEN UPDATE_DOCS UPDATE_STATE_FIXTURES UPDATE_CAPI_FIELDS TF_ACC_TERRAFORM_PATH BAD_INPUT_FILTER; do
  if [ -n "${!switch:-}" ]; then
    echo "scripts/test.sh: $switch is set ($switch=${!switch}): it turns a check into a rewrite or a narrower run, so the full test command refuses it. Unset it (or run the one test by hand: cargo test --test NAME)." >&2
    exit 2
  fi
done

bash scripts/install-terraform.sh
bash scripts/install-opentofu.sh
bash scripts/install-ignition.sh
bash scripts/install-strace.sh
bash scripts/install-moto.sh
bash scripts/install-s3s.sh
bash scripts/install-kubernetes.sh
bash scripts/install-capi-crds.sh
bash scripts/install-cabpk-types.sh
# Installers link terraform, moto_server and s3s-fs into .tools/bin when the machine has none.
export PATH="$PWD/.tools/bin:$PATH"

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
# Benchmarks are compiled by clippy above and run on demand (cargo bench).
cargo test --locked
# The Go acceptance suite users would write (terraform-plugin-testing), on the
# release binary tests/release.rs built, with Terraform and OpenTofu.
bash scripts/test-plugin-testing.sh
