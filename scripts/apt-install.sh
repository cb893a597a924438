#!/usr/bin/env bash
# Installs Debian packages by name (apt-get update first), as root or
# through sudo. Used by the install scripts for what they take from Debian.
#
#   scripts/apt-install.sh PACKAGE...
set -euo pipefail
[ "$#" -gt 0 ] || { echo "apt-install: no package named" >&2; exit 2; }
sudo=
[ "$(id -u)" -ne 0 ] && sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "$@" >/dev/null
