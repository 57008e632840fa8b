#!/usr/bin/env bash
# Checks the container files without a Docker engine:
#   hadolint                 the Dockerfile (any finding fails, style level included)
#   compose-spec schema      docker-compose.yml against the Compose Specification JSON schema
#   docker-compose config    the Compose CLI loads and resolves the file as `docker compose up` would
#                            (merge keys, depends_on and volumes that name something undefined, ...)
# Its tools are installed once, pinned (scripts/check-container.requirements.txt), from PyPI into
# .tools/checks; nothing else is fetched. Needs python3 with venv (Debian: apt-get install python3-venv).
#
#   scripts/check-container.sh [--dockerfile PATH] [--compose PATH]
#
# Prints one line per check, "ok   <check>" or "FAIL <check>" followed by what the tool said;
# exits 1 if any check failed (2 for bad arguments).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dockerfile="$root/Dockerfile"
compose="$root/docker-compose.yml"
while [ $# -gt 0 ]; do
  case "$1" in
    --dockerfile) dockerfile="${2:?--dockerfile needs a path}"; shift 2 ;;
    --compose) compose="${2:?--compose needs a path}"; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-container: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

venv="$root/.tools/checks"
requirements="$root/scripts/check-container.requirements.txt"
stamp="$venv/.installed-requirements.txt" # a copy of the requirements last installed

fail_install() { # reason [log file]
  printf 'FAIL install check tools into .tools/checks: %s\n' "$1"
  [ -n "${2:-}" ] && grep -v '^WARNING: Location' "$2" | tail -n 20 | sed 's/^/     /'
  exit 1
}

# Idempotent: nothing happens while the venv holds exactly the pinned requirements.
install_tools() {
  if [ -f "$stamp" ] && cmp -s "$requirements" "$stamp" &&
    [ -x "$venv/bin/hadolint" ] && [ -x "$venv/bin/check-jsonschema" ] && [ -x "$venv/bin/docker-compose" ]; then
    return 0
  fi
  command -v python3 >/dev/null 2>&1 || fail_install "python3 not found"
  local log
  log="$(mktemp)"
  # A venv left without pip (python3-venv missing when it was made) is made again.
  if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv" >"$log" 2>&1 ||
      fail_install "python3 -m venv failed (on Debian: apt-get install python3-venv)" "$log"
  fi
  echo "check-container: installing the pinned tools into .tools/checks" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >"$log" 2>&1 ||
    fail_install "pip install -r scripts/check-container.requirements.txt failed" "$log"
  cp "$requirements" "$stamp"
  rm -f "$log"
}

. "$root/scripts/lib/checks.sh"

shown() { # a path as the user would name it: relative to the repo when inside it
  case "$1" in "$root"/*) printf '%s' "${1#"$root"/}" ;; *) printf '%s' "$1" ;; esac
}

install_tools

check "hadolint $(shown "$dockerfile")" \
  "$venv/bin/hadolint" --no-color --failure-threshold style "$dockerfile"
check "compose-spec schema $(shown "$compose")" \
  "$venv/bin/check-jsonschema" --color never --builtin-schema vendor.compose-spec "$compose"
# --project-directory: a copy elsewhere still builds from this repo (build: .).
check "docker-compose config $(shown "$compose")" \
  "$venv/bin/docker-compose" --project-directory "$root" --file "$compose" config --quiet

exit "$failed"
