#!/bin/sh
# Installs moto's server (an S3-compatible server, `moto_server`) into .tools/moto from PyPI's
# `moto[server]`, for the tests of presigned links and direct uploads: they start it on a free
# port of 127.0.0.1 (test/support/s3-server.ts) and fetch real presigned URLs from it. Unless
# MOTO_SERVER_PATH is set. Idempotent (nothing happens while the pinned version is installed);
# never fails the npm install: without it, the S3 tests fail and say how to install it.
set -u
MOTO_VERSION=5.2.5
dir="$(cd "$(dirname "$0")/.." && pwd)/.tools/moto"

if [ -n "${MOTO_SERVER_PATH:-}" ]; then
  exit 0
fi
if [ -x "$dir/bin/moto_server" ] && "$dir/bin/python" -m pip show moto 2>/dev/null | grep -q "^Version: $MOTO_VERSION\$"; then
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "vidproc: python3 not found; moto (the S3 server of the tests) was not installed" >&2
  exit 0
fi
echo "vidproc: installing moto (moto[server]==$MOTO_VERSION, the tests' S3 server) into .tools/moto" >&2
if ! { python3 -m venv "$dir" && "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"; }; then
  echo "vidproc: could not install moto from PyPI (the S3 tests will fail)" >&2
fi
exit 0
