#!/usr/bin/env bash
# Offline checks of the monitoring code: the alerts and the Grafana dashboard the chart ships
# (charts/vidproc/files/), with Prometheus's own promtool (scripts/install-prometheus.sh).
#
#   scripts/check-metrics.sh     one line per check, "ok   <check>" or "FAIL <check>"; exits non-zero if any failed
#
# - promtool check rules: the PrometheusRule's groups parse and their PromQL is valid.
# - promtool test rules: the alerts' unit tests (test/alerts/prometheus-rules.test.yaml) pass.
# - the dashboard is valid JSON with the shape Grafana provisions (uid, unique panel ids, panels on
#   the 24-column grid, every query on the ${datasource} variable), and every query is valid PromQL
#   (each is checked by promtool as a recording rule, Grafana's variables replaced).
# - every vidproc_* metric the alerts and the dashboard use is one the code defines (src/metrics),
#   and every metric the code defines is documented in the README.
# - every alert's runbook_url points at a section of docs/operations.md.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
rules="$root/charts/vidproc/files/prometheus-rules.yaml"
tests="$root/test/alerts/prometheus-rules.test.yaml"
dashboard="$root/charts/vidproc/files/grafana-dashboard.json"

sh "$root/scripts/install-prometheus.sh"
promtool="${PROMTOOL_PATH:-$root/.tools/prometheus/bin/promtool}"
if [ ! -x "$promtool" ]; then
  echo "FAIL install: promtool (scripts/install-prometheus.sh did not install it)"
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

. "$root/scripts/lib/checks.sh"

cat >"$work/dashboard.py" <<'PY'
"""Checks the dashboard's shape and writes its queries out as recording rules (for promtool)."""
import json, re, sys
dash = json.load(open(sys.argv[1]))
errors = []
for key in ("uid", "title", "panels", "templating", "schemaVersion"):
    if key not in dash:
        errors.append(f"missing {key}")
names = {v["name"] for v in dash.get("templating", {}).get("list", [])}
if "datasource" not in names:
    errors.append("no ${datasource} variable")
ids, exprs = set(), []
for panel in dash.get("panels", []):
    pid = panel.get("id")
    if pid in ids:
        errors.append(f"panel id {pid} twice")
    ids.add(pid)
    grid = panel.get("gridPos", {})
    if not all(k in grid for k in "hwxy") or grid["x"] + grid["w"] > 24:
        errors.append(f"panel {pid}: gridPos {grid} is off the 24-column grid")
    if panel.get("type") == "row":
        continue
    if panel.get("datasource", {}).get("uid") != "${datasource}":
        errors.append(f"panel {pid} ({panel.get('title')}): datasource is not ${{datasource}}")
    if not panel.get("targets"):
        errors.append(f"panel {pid} ({panel.get('title')}): no queries")
    for target in panel.get("targets", []):
        expr = target.get("expr", "")
        if not expr:
            errors.append(f"panel {pid}: a target without expr")
        exprs.append(expr)
if errors:
    sys.exit("\n".join(errors))
rules = []
for i, expr in enumerate(exprs):
    expr = expr.replace("$__rate_interval", "5m").replace("$__range", "1h").replace("$namespace", ".*")
    if "$" in re.sub(r"\{\{[^}]*\}\}", "", expr):
        sys.exit(f"a variable promtool cannot stand in for: {expr}")
    rules.append({"record": f"dashboard:query_{i}", "expr": expr})
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
print(f"{len(ids)} panels, {len(exprs)} queries")
PY

cat >"$work/names.py" <<'PY'
"""The vidproc_* metrics used by the alerts and the dashboard exist in src/metrics; each is in the README."""
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
defined = set()
for f in (root / "src/metrics").glob("*.ts"):
    defined |= set(re.findall(r"name: '(vidproc_[a-z0-9_]+)'", f.read_text()))
used = set()
for f in sys.argv[2:]:
    used |= set(re.findall(r"\b(vidproc_[a-z0-9_]+)", pathlib.Path(f).read_text()))
base = lambda n: re.sub(r"_(bucket|count|sum)$", "", n)
unknown = sorted(n for n in used if n not in defined and base(n) not in defined)
readme = (root / "README.md").read_text()
undocumented = sorted(n for n in defined if f"`{n}`" not in readme)
problems = [f"used but not defined in src/metrics: {n}" for n in unknown] + [f"not documented in README.md: {n}" for n in undocumented]
if problems:
    sys.exit("\n".join(problems))
print(f"{len(defined)} metrics defined, {len(used)} names used")
PY

cat >"$work/runbooks.py" <<'PY'
"""Every runbook_url anchor is a heading of docs/operations.md (GitHub's anchors: lower case, no punctuation)."""
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
headings = re.findall(r"^#+\s+(.+)$", (root / "docs/operations.md").read_text(), re.M)
anchors = {re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-") for h in headings}
urls = re.findall(r"runbook_url:\s*(\S+)", (root / "charts/vidproc/files/prometheus-rules.yaml").read_text())
missing = [u for u in urls if "docs/operations.md#" not in u or u.split("#", 1)[1] not in anchors]
if not urls or missing:
    sys.exit("runbook_url without a section in docs/operations.md: " + ", ".join(missing or ["(no runbook_url at all)"]))
print(f"{len(urls)} runbook links")
PY

check "metrics: promtool check rules (charts/vidproc/files/prometheus-rules.yaml)" "$promtool" check rules "$rules"
check "metrics: promtool test rules (test/alerts/prometheus-rules.test.yaml)" "$promtool" test rules "$tests"
check "metrics: dashboard JSON is valid and provisionable (charts/vidproc/files/grafana-dashboard.json)" \
  python3 "$work/dashboard.py" "$dashboard" "$work/dashboard-rules.json"
check "metrics: dashboard queries are valid PromQL (promtool)" "$promtool" check rules "$work/dashboard-rules.json"
check "metrics: alerts and dashboard use defined metrics; README documents every metric" \
  python3 "$work/names.py" "$root" "$rules" "$dashboard"
check "metrics: every alert links a runbook section of docs/operations.md" python3 "$work/runbooks.py" "$root"
exit $failed
