#!/usr/bin/env bash
# Installs strace, which the secrets audit of the disk (tests/acceptance/secrets_state.rs)
# runs the provider under. Does nothing when present.
set -euo pipefail
if ! command -v strace >/dev/null 2>&1; then
  bash "$(dirname "$0")/apt-install.sh" strace
fi
command -v strace >/dev/null
echo "strace: $(command -v strace)"
