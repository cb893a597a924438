#!/usr/bin/env bash
# Builds the release binary and packages it the way the Terraform registry
# publishes providers:
#
#   OUT_DIR/terraform-provider-kubeadm_<version>_<os>_<arch>.zip   the binary terraform-provider-kubeadm_v<version>, mode 0755
#   OUT_DIR/terraform-provider-kubeadm_<version>_SHA256SUMS        sha256sum lines for every zip of this version and the manifest
#   OUT_DIR/terraform-provider-kubeadm_<version>_manifest.json     the registry manifest (protocol 6.0)
#   OUT_DIR/terraform-registry-manifest.json                       the same manifest under its source name
#
# Usage: scripts/release.sh [--no-build] [--install-mirror DIR] [OUT_DIR]
#
#   OUT_DIR              default: target/dist
#   --install-mirror DIR also lay the zip out as a packed filesystem mirror in DIR
#                        (scripts/install-mirror.sh), for an offline `terraform init`
#   --no-build           package the binary already in target/release
#
# Environment:
#   SOURCE_DATE_EPOCH    time stamp of the zip entries (default: the last commit's time),
#                        so the same binary always gives the same zip
#   RELEASE_ZIP=python   use Python's zipfile even when `zip` is installed
#   GPG_FINGERPRINT      when set, also write a detached signature ..._SHA256SUMS.sig
#   CARGO_TARGET_DIR     where cargo builds (default: target)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

die() {
  echo "release: $*" >&2
  exit 1
}

usage="usage: scripts/release.sh [--no-build] [--install-mirror DIR] [OUT_DIR]"
build=1
mirror=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --install-mirror)
      [ $# -ge 2 ] || die "--install-mirror needs a directory. $usage"
      mirror="$2"
      shift
      ;;
    --install-mirror=*) mirror="${1#--install-mirror=}" ;;
    -h | --help)
      echo "$usage"
      exit 0
      ;;
    -*) die "unknown option $1. $usage" ;;
    *)
      [ -z "$out" ] || die "only one OUT_DIR, got $out and $1. $usage"
      out="$1"
      ;;
  esac
  shift
done

abspath() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$PWD/$1" ;;
  esac
}

version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
[ -n "$version" ] || die "cannot read the package version from $root/Cargo.toml"

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  FreeBSD) os=freebsd ;;
  *) die "unsupported operating system $(uname -s): build on Linux, macOS or FreeBSD" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "unsupported architecture $(uname -m): build on x86_64 (amd64) or aarch64 (arm64)" ;;
esac

target_dir="$(abspath "${CARGO_TARGET_DIR:-$root/target}")"
out="$(abspath "${out:-$root/target/dist}")"
[ -z "$mirror" ] || mirror="$(abspath "$mirror")"

if [ "$build" = 1 ]; then
  (cd "$root" && "${CARGO:-cargo}" build --release --locked --target-dir "$target_dir")
fi
bin="$target_dir/release/terraform-provider-kubeadm"
[ -x "$bin" ] || die "no release binary at $bin: run without --no-build (or cargo build --release --locked)"

epoch="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || true)}"
case "$epoch" in
  '' | *[!0-9]*) epoch=315532800 ;;
esac
# Zip time stamps start in 1980.
[ "$epoch" -ge 315532800 ] || epoch=315532800

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
  fi
}

prefix="terraform-provider-kubeadm_${version}"
binary_name="terraform-provider-kubeadm_v${version}"
zip_name="${prefix}_${os}_${arch}.zip"
sums_name="${prefix}_SHA256SUMS"
manifest_name="${prefix}_manifest.json"

mkdir -p "$out"
stage="$(mktemp -d "${TMPDIR:-/tmp}/kubeadm-release.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp "$bin" "$stage/$binary_name"
chmod 0755 "$stage/$binary_name"
touch -d "@$epoch" "$stage/$binary_name" 2>/dev/null || touch -t "$(date -u -r "$epoch" +%Y%m%d%H%M.%S)" "$stage/$binary_name"

rm -f "$stage/$zip_name"
if [ "${RELEASE_ZIP:-}" != python ] && command -v zip >/dev/null 2>&1; then
  # -X: no extra fields (owner ids, extended time stamps); the entry keeps its
  # Unix mode and the DOS time stamp, written in UTC.
  (cd "$stage" && TZ=UTC zip -q -X -9 "$stage/$zip_name" "$binary_name")
else
  command -v python3 >/dev/null 2>&1 || die "neither zip nor python3 is installed: install one of them"
  python3 - "$stage/$zip_name" "$stage/$binary_name" "$binary_name" "$epoch" <<'PY'
import sys, time, zipfile

out, path, name, epoch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
info = zipfile.ZipInfo(name, date_time=time.gmtime(epoch)[:6])
info.create_system = 3  # Unix, so readers honour the mode below
info.external_attr = (0o100755 & 0xFFFF) << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(path, "rb") as f:
    data = f.read()
with zipfile.ZipFile(out, "w") as z:
    z.writestr(info, data, compresslevel=9)
PY
fi
mv "$stage/$zip_name" "$out/$zip_name"

printf '%s\n' '{"version": 1, "metadata": {"protocol_versions": ["6.0"]}}' >"$out/$manifest_name"
cp "$out/$manifest_name" "$out/terraform-registry-manifest.json"

# Every platform zip of this version in OUT_DIR (zips built on other machines
# can be dropped in before the last run), then the manifest.
(
  cd "$out"
  : >"$stage/sums"
  for f in "${prefix}"_*.zip "$manifest_name"; do
    [ -f "$f" ] || continue
    printf '%s  %s\n' "$(sha256 "$f")" "$f" >>"$stage/sums"
  done
  LC_ALL=C sort -k 2 "$stage/sums" >"$sums_name"
)
rm -f "$out/$sums_name.sig"
if [ -n "${GPG_FINGERPRINT:-}" ]; then
  command -v gpg >/dev/null 2>&1 || die "GPG_FINGERPRINT is set but gpg is not installed"
  gpg --batch --yes --local-user "$GPG_FINGERPRINT" --output "$out/$sums_name.sig" --detach-sign "$out/$sums_name"
fi

echo "release $version for ${os}_${arch} in $out:"
(cd "$out" && ls -1 "$zip_name" "$sums_name" "$manifest_name" terraform-registry-manifest.json | sed 's/^/  /')
if [ -f "$out/$sums_name.sig" ]; then
  echo "  $sums_name.sig"
fi

if [ -n "$mirror" ]; then
  bash "$root/scripts/install-mirror.sh" "$out" "$mirror" "$version"
fi
