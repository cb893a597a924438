#!/usr/bin/env bash
# Installs the real Ignition tools the tests use: ignition-validate and the
# Ignition engine (Debian's `ignition` package). Does nothing when present.
set -euo pipefail

engine=/usr/lib/dracut/modules.d/30ignition/ignition
if command -v ignition-validate >/dev/null 2>&1 && [ -x "$engine" ]; then
  echo "ignition: $(command -v ignition-validate), $engine"
  exit 0
fi
bash "$(dirname "$0")/apt-install.sh" ignition
command -v ignition-validate >/dev/null
[ -x "$engine" ]
echo "ignition: $(command -v ignition-validate), $engine"
