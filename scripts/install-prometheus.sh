#!/bin/sh
# Prometheus and promtool into .tools/prometheus from Debian's `prometheus` package, without
# installing it: `apt-get download` fetches the .deb (no root needed while the package lists are
# there), `dpkg -x` unpacks it, and the two binaries are kept. Used by the metrics test (a real
# Prometheus scraping the processes) and by scripts/check-metrics.sh (promtool check/test rules).
# Idempotent; never fails the npm install (the test and the check then say what is missing);
# PROMETHEUS_PATH and PROMTOOL_PATH, when both set, name binaries elsewhere (nothing to install).
set -u
dir="$(cd "$(dirname "$0")/.." && pwd)/.tools/prometheus"
package=prometheus

if [ -n "${PROMETHEUS_PATH:-}" ] && [ -n "${PROMTOOL_PATH:-}" ]; then
  exit 0
fi
candidate=$(apt-cache policy "$package" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
if [ -x "$dir/bin/prometheus" ] && [ -x "$dir/bin/promtool" ] && { [ -z "$candidate" ] || [ "$(cat "$dir/.version" 2>/dev/null)" = "$candidate" ]; }; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  echo "vidproc: apt-get/dpkg not found; Prometheus was not installed (set PROMETHEUS_PATH and PROMTOOL_PATH)" >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() { (cd "$work" && apt-get download -q "$package" >"$work/apt.log" 2>&1); }
if ! fetch; then
  # A fresh machine without package lists: refresh them when allowed to (root), then try again.
  if [ "$(id -u)" = 0 ] && apt-get update -q >/dev/null 2>&1 && fetch; then
    :
  else
    echo "vidproc: could not download Debian's $package package; Prometheus was not installed:" >&2
    cat "$work/apt.log" >&2
    exit 0
  fi
fi
echo "vidproc: installing Prometheus and promtool ($(ls "$work"/*.deb | xargs -n1 basename)) into .tools/prometheus" >&2
if dpkg -x "$work"/"$package"_*.deb "$work/unpacked" && mkdir -p "$dir/bin" &&
  cp "$work/unpacked/usr/bin/prometheus" "$work/unpacked/usr/bin/promtool" "$dir/bin/" &&
  "$dir/bin/prometheus" --version >/dev/null 2>&1 && "$dir/bin/promtool" --version >/dev/null 2>&1; then
  candidate=$(dpkg-deb -f "$work"/"$package"_*.deb Version)
  printf '%s\n' "$candidate" >"$dir/.version"
  exit 0
fi
echo "vidproc: could not unpack Prometheus from the $package package" >&2
exit 0
