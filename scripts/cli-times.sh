#!/usr/bin/env bash
# Sums the time each test file spent in each Terraform and OpenTofu command,
# from the lines the acceptance tests append to target/tmp/cli-times.tsv
# (test file, test, CLI, subcommand, seconds), as a Markdown table: seconds and
# the number of commands per cell. Remove the file before a run to measure
# that run alone.
#
# Usage: scripts/cli-times.sh [FILE]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
file="${1:-${CARGO_TARGET_DIR:-$root/target}/tmp/cli-times.tsv}"
[ -f "$file" ] || { echo "cli-times: no $file: run the tests first" >&2; exit 1; }
python3 - "$file" <<'PY'
import sys
from collections import defaultdict

secs = defaultdict(float)
runs = defaultdict(int)
for line in open(sys.argv[1], encoding="utf-8"):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 5:
        continue
    binary, _test, cli, _command, seconds = parts
    secs[(binary, cli)] += float(seconds)
    runs[(binary, cli)] += 1

def order(cli):
    kind, _, version = cli.partition(" ")
    return (kind, [int(p) if p.isdigit() else 0 for p in version.split(".")])

clis = sorted({c for _, c in secs}, key=order)
binaries = sorted({b for b, _ in secs})
print("| test file | " + " | ".join(clis) + " |")
print("|---|" + "---:|" * len(clis))
for b in binaries:
    cells = [f"{secs[(b, c)]:.0f} s ({runs[(b, c)]})" if (b, c) in secs else "–" for c in clis]
    print(f"| {b} | " + " | ".join(cells) + " |")
totals = [f"**{sum(v for (b, c), v in secs.items() if c == cli):.0f} s**" for cli in clis]
print("| **all** | " + " | ".join(totals) + " |")
PY
