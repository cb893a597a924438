#!/usr/bin/env bash
# Prints the absolute path of each distinct terraform to test against, one per
# line: the one on PATH (resolved), then those installed by
# install-terraform.sh. Binaries reporting the same version are listed once.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${KUBEADM_TOOLS_DIR:-$REPO_DIR/.tools}"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
: >"$WORK/empty.tfrc"

candidates=()
if on_path="$(command -v terraform 2>/dev/null)"; then
    candidates+=("$(readlink -f "$on_path")")
fi
candidates+=("$TOOLS_DIR/terraform-1.0.3/terraform" "$TOOLS_DIR/terraform-1.15.5/terraform")

seen=()
for bin in "${candidates[@]}"; do
    [[ -x "$bin" ]] || continue
    # Run in an empty dir with an empty CLI config so only the version shows.
    version="$(cd "$WORK" && TF_CLI_CONFIG_FILE="$WORK/empty.tfrc" CHECKPOINT_DISABLE=1 \
        "$bin" version 2>/dev/null)" || { echo "skipping $bin: 'version' failed" >&2; continue; }
    for v in "${seen[@]+"${seen[@]}"}"; do
        [[ "$v" == "$version" ]] && continue 2
    done
    seen+=("$version")
    (cd "$(dirname "$bin")" && printf '%s/%s\n' "$(pwd)" "$(basename "$bin")")
done
