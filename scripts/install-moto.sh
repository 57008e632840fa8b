#!/bin/sh
# moto's server (an S3-compatible server, `moto_server`) into .tools/moto from PyPI's `moto[server]`,
# for the tests of presigned links and direct uploads (test/support/s3-server.ts); unless
# MOTO_SERVER_PATH is set.
exec sh "$(dirname "$0")/install-pypi-tool.sh" moto moto 5.2.5 moto_server MOTO_SERVER_PATH no \
  "moto (the tests' S3 server)" "the S3 tests will fail and say how to install it" "[server]"
