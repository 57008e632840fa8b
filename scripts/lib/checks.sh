# shellcheck shell=bash
# What the offline checks (scripts/check-container.sh, check-infra.sh, check-metrics.sh) share;
# each sources this file:
#
#   check NAME COMMAND...   run COMMAND; print "ok   NAME", or "FAIL NAME" followed by the last 40
#                           lines COMMAND printed (indented, pip's "WARNING: Location" lines left out)
#                           and set failed=1
#
# .ci/run counts the "ok " and "FAIL " lines; a script exits with "$failed".
failed=0

check() { # name command...
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    printf 'ok   %s\n' "$name"
  else
    printf 'FAIL %s\n' "$name"
    printf '%s\n' "$out" | grep -v '^WARNING: Location' | tail -n 40 | sed 's/^/     /'
    failed=1
  fi
}
