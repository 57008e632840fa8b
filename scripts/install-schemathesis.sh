#!/bin/sh
# Schemathesis (`st`, PyPI `schemathesis`) into .tools/schemathesis, for the API contract test
# (test/integration/contract.test.ts: every check against the live API's /openapi.json); unless
# SCHEMATHESIS_PATH is set.
exec sh "$(dirname "$0")/install-pypi-tool.sh" schemathesis schemathesis 4.32.5 st SCHEMATHESIS_PATH no \
  "schemathesis (the API contract test)" "the contract test will fail and say how to install it"
