#!/usr/bin/env bash
# Offline checks of the deployment code: terraform/ and charts/vidproc.
#
#   scripts/check-infra.sh               run every check; one line each, "ok   <check>" or "FAIL <check>"
#   scripts/check-infra.sh --self-test   prove each check can fail: run it on a broken copy (expect FAIL),
#                                        then on the real files (expect ok)
#
# Exits non-zero if any check fails. Its tools are installed once, pinned, from PyPI into two venvs
# under .tools/checks-infra (idempotent: nothing happens while they hold exactly the pins below).
# Nothing is fetched at check time: checkov runs with --skip-download and no external modules.
#
# What cannot be checked here, and why:
#   - `terraform validate`/`plan`: they need `terraform init`, which downloads the providers and modules
#     from registry.terraform.io (not reachable here). Instead: every .tf parses (python-hcl2), every
#     var./local./module./resource/data reference resolves to a declaration of its own module (the
#     root, or a local module under terraform/modules), every call of a local module passes only its
#     variables (all those without a default) and reads only its outputs, every moved block points at
#     a declared address (and from one no longer declared), every variable and output has a
#     description, and `terraform fmt -check` runs when a terraform binary is on PATH (none is on
#     PyPI, npm or Debian; this machine image ships one in /usr/local/bin). The registry modules'
#     inputs/outputs are not checked against their sources (they are not downloaded).
#   - The chart is rendered with Helm's own Go library (Helm v4 engine, PyPI helm-python-sdk; there is no
#     helm binary on PyPI/npm/Debian for Linux): templates, values.schema.json and `helm lint` are real.
#     The rendered manifests are checked against the Kubernetes OpenAPI schemas (kubernetes-validate,
#     strict), except CRD kinds (the ServiceMonitor) whose schemas it does not ship. Nothing is applied
#     to a cluster: admission (Pod Security), RBAC and the EKS/IRSA wiring are not exercised.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
tools_root="$root/.tools/checks-infra"
kube_version="1.33.0"

# Pinned tools (top-level pins; pip itself pinned too).
pip_pin="pip==25.3"
tools_reqs=(
  "python-hcl2==8.1.4"          # HCL2 parser (terraform files)
  "check-jsonschema==0.39.0"    # JSON Schema: metaschema and values validation
  "yamllint==1.38.0"            # YAML lint of the chart's non-template files
  "kubernetes-validate==1.37.0" # Kubernetes OpenAPI schemas, offline
  "helm-python-sdk==0.2.2"      # Helm v4.2 Go library (render, lint, schema) through ctypes
)
checkov_reqs=(
  "checkov==3.3.30" # own venv: it pins many dependencies of its own
)

# --- install ------------------------------------------------------------------------------------
install_venv() { # dir requirement...
  local dir="$1" stamp="$1/.installed" want log
  shift
  want="$(printf '%s\n' "$pip_pin" "$@")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$dir/bin/python" -c '' 2>/dev/null; then
    return 0
  fi
  log="$(mktemp)"
  echo "check-infra: installing pinned tools into ${dir#"$root"/}" >&2
  if ! "$dir/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    python3 -m venv "$dir" >"$log" 2>&1 || { echo "FAIL install: python3 -m venv $dir"; cat "$log"; exit 1; }
  fi
  if ! { "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$pip_pin" &&
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$@"; } >"$log" 2>&1; then
    echo "FAIL install: pip install $*"
    grep -v '^WARNING: Location' "$log" | tail -n 20
    exit 1
  fi
  printf '%s\n' "$want" >"$stamp"
  rm -f "$log"
}

install_venv "$tools_root/tools" "${tools_reqs[@]}"
install_venv "$tools_root/checkov" "${checkov_reqs[@]}"
T="$tools_root/tools/bin"
C="$tools_root/checkov/bin"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- helpers (Python, run in the tools venv) ----------------------------------------------------
cat >"$work/tf_check.py" <<'PY'
"""Parse every .tf file; with --refs also check, in the root and in each local module below it
(every folder with .tf files is a module, with its own names), that references resolve, that every
variable and output has a description, that each call of a local module passes only that module's
variables (and each one it has no default for) and reads only its outputs, and that each moved
block's `to` is declared and its `from` is not."""
import pathlib, re, sys
import hcl2

mode, tf_dir = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
files = sorted(tf_dir.rglob("*.tf"))
if not files:
    sys.exit(f"no .tf files under {tf_dir}")
errors, docs = [], {}
for f in files:
    try:
        with f.open() as fh:
            docs[f] = hcl2.load(fh)
    except Exception as e:  # noqa: BLE001 - report every parse error
        errors.append(f"{f.relative_to(tf_dir)}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
if mode == "--parse" or errors:
    print("\n".join(errors) if errors else f"{len(files)} files parsed")
    sys.exit(1 if errors else 0)

unq = lambda k: k.strip('"')  # python-hcl2 keeps the quotes of block labels and strings
expr = lambda v: re.sub(r"^\$\{(.*)\}$", r"\1", str(v))  # ... and wraps expressions in ${}
META = {"source", "version", "count", "for_each", "providers", "depends_on"}


class Module:
    def __init__(self, path):
        self.path = path
        self.vars = {}  # name -> has a default
        self.outputs = set()
        self.locals = set()
        self.calls = {}  # name -> body
        self.res = {"resource": {}, "data": {}}  # "type.name" -> body
        self.moved = []  # (file, from, to)


def name_of(path):
    return "." if path == tf_dir else str(path.relative_to(tf_dir))


modules = {}
for f, d in docs.items():
    m = modules.setdefault(f.parent, Module(f.parent))
    where = f.relative_to(tf_dir)
    for v in d.get("variable", []):
        for name, body in v.items():
            m.vars[unq(name)] = "default" in body
            if not unq(str(body.get("description", ""))):
                errors.append(f"{where}: variable {unq(name)} has no description")
    for o in d.get("output", []):
        for name, body in o.items():
            m.outputs.add(unq(name))
            if not unq(str(body.get("description", ""))):
                errors.append(f"{where}: output {unq(name)} has no description")
    for l in d.get("locals", []):
        m.locals.update(k for k in l if not k.startswith("__"))
    for c in d.get("module", []):
        m.calls.update((unq(k), b) for k, b in c.items())
    for kind in ("resource", "data"):
        for r in d.get(kind, []):
            for rtype, named in r.items():
                m.res[kind].update((f"{unq(rtype)}.{unq(n)}", b) for n, b in named.items() if not n.startswith("__"))
    for mv in d.get("moved", []):
        m.moved.append((where, expr(mv.get("from", "")), expr(mv.get("to", ""))))


def local_target(m, call):
    """The Module a call of m names, None for a registry/remote source; an error for a bad local one."""
    source = unq(str(m.calls[call].get("source", "")))
    if not source.startswith(("./", "../")):
        return None
    target = (m.path / source).resolve()
    if target not in modules:
        errors.append(f"{name_of(m.path)}: module.{call}: no .tf files in {source}")
        return None
    return modules[target]


# Calls of local modules: only their variables, every required one, then only their outputs (below).
for m in modules.values():
    for call, body in m.calls.items():
        t = local_target(m, call)
        if t is None:
            continue
        given = {k for k in body if not k.startswith("__") and k not in META}
        errors += [f"{name_of(m.path)}: module.{call} passes {k}, not a variable of {name_of(t.path)}" for k in sorted(given - set(t.vars))]
        errors += [f"{name_of(m.path)}: module.{call} does not pass {k} (no default in {name_of(t.path)})"
                   for k, has_default in sorted(t.vars.items()) if not has_default and k not in given]

ref = re.compile(r"(?<![\w.\-])(var|local|module|data)\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?(?:\.([A-Za-z_][\w-]*))?")
res = re.compile(r"(?<![\w.\-\"/])((?:aws|random|helm|http|kubernetes)_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")
moved_block = re.compile(r"(?ms)^moved\s*\{.*?^\}")  # checked below, as addresses
for f in files:
    m, where = modules[f.parent], f.relative_to(tf_dir)
    text = moved_block.sub("", re.sub(r"(?m)^\s*(#|//).*$", "", f.read_text()))
    for kind, a, b in ref.findall(text):
        if kind == "data":
            if f"{a}.{b}" not in m.res["data"]:
                errors.append(f"{where}: data.{a}.{b} is not declared")
        elif kind == "var" and a not in m.vars or kind == "local" and a not in m.locals:
            errors.append(f"{where}: {kind}.{a} is not declared")
        elif kind == "module":
            if a not in m.calls:
                errors.append(f"{where}: module.{a} is not declared")
            elif b and (t := local_target(m, a)) is not None and b not in t.outputs:
                errors.append(f"{where}: module.{a}.{b}: {name_of(t.path)} has no output {b}")
    for rtype, name in res.findall(text):
        if f"{rtype}.{name}" not in m.res["resource"]:
            errors.append(f"{where}: resource {rtype}.{name} is not declared")

# moved blocks: `to` must be declared (through local modules; inside a registry module it cannot be
# seen), with an instance key only where there is count (a number) or for_each (a string); `from`
# must not be declared, except a resource that got count/for_each (from X to X[key]).
step = re.compile(r'(module\.[\w-]+|data\.[\w-]+\.[\w-]+|[\w-]+\.[\w-]+)(\[(?:\d+|"[^"]*")\])?(?:\.|$)')


def resolve(m, address):
    """'declared', 'unknown' (behind a registry module) or why it is not declared."""
    pos = 0
    while pos < len(address):
        s = step.match(address, pos)
        if not s:
            return f"cannot read {address}"
        pos, (part, key) = s.end(), s.groups()
        if part.startswith("module."):
            call = part.split(".", 1)[1]
            if call not in m.calls:
                return f"module.{call} is not declared in {name_of(m.path)}"
            body, what = m.calls[call], f"module.{call}"
        else:
            kind, rname = ("data", part[5:]) if part.startswith("data.") else ("resource", part)
            if rname not in m.res[kind] or pos < len(address):
                return f"{part} is not declared in {name_of(m.path)}"
            body, what = m.res[kind][rname], part
        if key and ("count" if key[1].isdigit() else "for_each") not in body:
            return f"{what}{key}: {what} has no {'count' if key[1].isdigit() else 'for_each'}"
        if part.startswith("module.") and pos < len(address):
            m = local_target(m, call)
            if m is None:
                return "unknown"
    return "declared"


moves = 0
for m in modules.values():
    for where, frm, to in m.moved:
        moves += 1
        why = resolve(m, to)
        if why not in ("declared", "unknown"):
            errors.append(f"{where}: moved to {to}: {why}")
        adds_key = re.fullmatch(re.escape(frm) + r'\[(\d+|"[^"]*")\]', to) is not None
        if resolve(m, frm) == "declared" and not adds_key:
            errors.append(f"{where}: moved from {frm}, which is still declared")

print("\n".join(sorted(set(errors))) if errors else
      f"{len(modules)} modules, {sum(len(m.vars) + len(m.outputs) + len(m.locals) + len(m.calls) + len(m.res['resource']) + len(m.res['data']) for m in modules.values())}"
      f" declarations, every reference resolves; {moves} moved blocks")
sys.exit(1 if errors else 0)
PY

cat >"$work/chart.py" <<'PY'
"""lint | merge | render a chart with Helm's Go library (helm-python-sdk) for one values file."""
import json, pathlib, sys
import yaml
import helm_python
from helm_python import Chart

mode, chart_dir, values_file = sys.argv[1], sys.argv[2], sys.argv[3]
values = yaml.safe_load(pathlib.Path(values_file).read_text()) or {}
if mode == "lint":
    r = helm_python.lint(chart_dir, values, strict=True, namespace="vidproc", kube_version=sys.argv[4])
    bad = [m for m in r.get("messages", []) if m.get("severity", 0) >= 2] + list(r.get("errors") or [])
    for m in r.get("messages", []):
        print(f"severity {m.get('severity')}: {m.get('path')}: {m.get('error')}")
    sys.exit(1 if bad else 0)
chart = Chart.load(chart_dir)
if mode == "merge":  # the values helm would use: defaults coalesced with the file
    pathlib.Path(sys.argv[4]).write_text(json.dumps(chart.merge_values(values)))
    sys.exit(0)
chart.validate_schema(values)
rendered = chart.render(values, name="vidproc", namespace="vidproc", is_install=True)
out = pathlib.Path(sys.argv[4])
docs = 0
with out.open("w") as fh:
    for path in sorted(rendered):
        body = rendered[path]
        if path.endswith("NOTES.txt") or not body.strip():
            continue
        fh.write(f"---\n# Source: {path}\n{body}\n")
        docs += sum(1 for d in yaml.safe_load_all(body) if d)
print(f"{docs} manifests")
PY

cat >"$work/split.py" <<'PY'
"""Split rendered manifests: CRD kinds (no schema in kubernetes-validate) go to a second file."""
import sys, yaml
crd_groups = ("monitoring.coreos.com/", "external-secrets.io/")
core, crd = [], []
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d:
        (crd if str(d.get("apiVersion", "")).startswith(crd_groups) else core).append(d)
yaml.safe_dump_all(core, open(sys.argv[2], "w"), sort_keys=False)
print(f"{len(core)} core manifests, {len(crd)} CRD manifests not schema-checked: "
      + ", ".join(f"{d['kind']}/{d['metadata']['name']}" for d in crd))
PY

cat >"$work/yamllint.yaml" <<'YL'
extends: default
rules:
  line-length: {max: 140}
  document-start: disable
  truthy: {check-keys: false}
  comments: {min-spaces-from-content: 1}
  indentation: {spaces: 2, indent-sequences: consistent}
YL

# --- checks -------------------------------------------------------------------------------------
. "$root/scripts/lib/checks.sh"

tf_fmt() { # dir
  # TF_CLI_CONFIG_FILE may name a file that does not exist (a warning on every run): fmt needs none.
  env -u TF_CLI_CONFIG_FILE terraform fmt -check -recursive -diff -no-color "$1"
}

checkov_tf() { # dir
  (cd "$1" && "$C/checkov" -d . --framework terraform --compact --quiet --skip-download \
    --download-external-modules false --output cli)
}

chart_render_all() { # chart_dir out_dir
  local f
  mkdir -p "$2"
  for f in "$1"/ci/*-values.yaml; do
    "$T/python" "$work/chart.py" render "$1" "$f" "$2/$(basename "$f" -values.yaml).yaml" || return 1
  done
}

chart_lint_all() { # chart_dir
  local f
  for f in "$1"/ci/*-values.yaml; do
    "$T/python" "$work/chart.py" lint "$1" "$f" "$kube_version" || return 1
  done
}

kube_schemas() { # rendered_dir
  local f
  for f in "$1"/*.yaml; do
    "$T/python" "$work/split.py" "$f" "$f.core" || return 1
    "$T/kubernetes-validate" --kubernetes-version "$kube_version" --strict --quiet "$f.core" || return 1
  done
}

checkov_k8s() { # rendered_dir
  (cd "$1" && "$C/checkov" -d . --framework kubernetes --compact --quiet --skip-download --output cli)
}

values_schema() { # chart_dir: values.yaml as it is, each ci/*-values.yaml merged over it (as helm does)
  local f merged
  "$T/check-jsonschema" --schemafile "$1/values.schema.json" "$1/values.yaml" || return 1
  for f in "$1"/ci/*-values.yaml; do
    merged="$work/merged-$(basename "$f" .yaml).json"
    "$T/python" "$work/chart.py" merge "$1" "$f" "$merged" || return 1
    "$T/check-jsonschema" --schemafile "$1/values.schema.json" "$merged" || return 1
  done
}

run_checks() { # tf_dir chart_dir label
  local tf="$1" chart="$2" rendered="$work/rendered-$3"
  rm -rf "$rendered"
  check "terraform: every .tf parses (python-hcl2)" "$T/python" "$work/tf_check.py" --parse "$tf"
  check "terraform: references resolve (root and local modules), variables and outputs described, moved blocks" "$T/python" "$work/tf_check.py" --refs "$tf"
  if command -v terraform >/dev/null 2>&1; then
    check "terraform: fmt -check ($(terraform version 2>/dev/null | head -n 1))" tf_fmt "$tf"
  else
    echo "skip terraform: fmt -check (no terraform binary on PATH; none on PyPI/npm/Debian)"
  fi
  check "terraform: checkov" checkov_tf "$tf"
  check "chart: values.schema.json is a valid draft-07 schema" "$T/check-jsonschema" --check-metaschema "$chart/values.schema.json"
  check "chart: values.yaml and ci/*-values.yaml match values.schema.json" values_schema "$chart"
  check "chart: yamllint Chart.yaml, values.yaml, ci/*.yaml" "$T/yamllint" -s -c "$work/yamllint.yaml" \
    "$chart/Chart.yaml" "$chart/values.yaml" "$chart"/ci/*.yaml
  check "chart: helm lint --strict (Helm v4 library), each ci/*-values.yaml" chart_lint_all "$chart"
  check "chart: render templates (Helm v4 library), each ci/*-values.yaml" chart_render_all "$chart" "$rendered"
  check "chart: rendered manifests match Kubernetes $kube_version schemas (strict)" kube_schemas "$rendered"
  check "chart: checkov on the rendered manifests" checkov_k8s "$rendered"
}

if [ "${1:-}" != "--self-test" ]; then
  run_checks "$root/terraform" "$root/charts/vidproc" real
  exit "$failed"
fi

# --- self-test: each check must fail on a broken copy -------------------------------------------
expect_fail() { # name command...
  local name="$1" before="$failed"
  failed=0
  check "$@" >"$work/expect.out"
  if [ "$failed" = 1 ]; then
    printf 'ok   self-test: %s fails on a broken copy\n' "$name"
    sed -n '2,4p' "$work/expect.out"
    failed="$before"
  else
    printf 'FAIL self-test: %s passed on a broken copy\n' "$name"
    failed=1
  fi
}
fresh() { # -> copies in $work/broken
  rm -rf "$work/broken" && mkdir -p "$work/broken" &&
    cp -r "$root/terraform" "$work/broken/terraform" && cp -r "$root/charts/vidproc" "$work/broken/chart"
}
B="$work/broken"

fresh && printf 'resource "aws_s3_bucket" "x" {\n  bucket = "x"\n' >>"$B/terraform/main.tf"
expect_fail "terraform parse (unclosed block)" "$T/python" "$work/tf_check.py" --parse "$B/terraform"

fresh && printf 'output "typo" {\n  description = "x"\n  value       = var.regoin\n}\n' >>"$B/terraform/outputs.tf"
expect_fail "terraform references (var.regoin)" "$T/python" "$work/tf_check.py" --refs "$B/terraform"

fresh && printf 'variable "undocumented" {\n  type = string\n}\n' >>"$B/terraform/variables.tf"
expect_fail "terraform descriptions (variable without one)" "$T/python" "$work/tf_check.py" --refs "$B/terraform"

selftest_module() { # a local module with one variable and one output, in the broken copy
  mkdir -p "$B/terraform/modules/selftest" &&
    printf 'variable "in" {\n  description = "x"\n  type        = string\n}\n\noutput "out" {\n  description = "x"\n  value       = var.in\n}\n' >"$B/terraform/modules/selftest/main.tf"
}

fresh && selftest_module && printf 'module "selftest" {\n  source = "./modules/selftest"\n  in     = "x"\n}\n\noutput "typo" {\n  description = "x"\n  value       = module.selftest.outt\n}\n' >>"$B/terraform/outputs.tf"
expect_fail "terraform references (a local module's output that it does not have)" "$T/python" "$work/tf_check.py" --refs "$B/terraform"

fresh && selftest_module && printf 'module "selftest" {\n  source = "./modules/selftest"\n  inn    = "x"\n}\n' >>"$B/terraform/main.tf"
expect_fail "terraform references (a local module called with an input it has no variable for)" "$T/python" "$work/tf_check.py" --refs "$B/terraform"

fresh && printf 'moved {\n  from = aws_s3_bucket.gone\n  to   = aws_s3_bucket.nowhere\n}\n' >>"$B/terraform/main.tf"
expect_fail "terraform moved (to an address that is not declared)" "$T/python" "$work/tf_check.py" --refs "$B/terraform"

if command -v terraform >/dev/null 2>&1; then
  fresh && printf 'locals {\n  badly    = "formatted"\n}\n' >>"$B/terraform/main.tf"
  expect_fail "terraform fmt (misaligned =)" tf_fmt "$B/terraform"
fi

fresh && printf 'resource "aws_security_group" "open" {\n  name   = "open"\n  vpc_id = module.vpc.vpc_id\n  ingress {\n    description = "ssh from anywhere"\n    from_port   = 22\n    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n' >>"$B/terraform/main.tf"
expect_fail "checkov terraform (SSH open to the world)" checkov_tf "$B/terraform"

fresh && sed -i 's/"type": "object"/"type": "objekt"/' "$B/chart/values.schema.json"
expect_fail "values.schema.json metaschema (type objekt)" "$T/check-jsonschema" --check-metaschema "$B/chart/values.schema.json"

fresh && sed -i 's/^  replicaCount: 2$/  replicaCont: 2/' "$B/chart/values.yaml"
expect_fail "values against the schema (typo replicaCont)" values_schema "$B/chart"

fresh && printf 'version: 0.1.1\n' >>"$B/chart/Chart.yaml"
expect_fail "yamllint (duplicate key in Chart.yaml)" "$T/yamllint" -s -c "$work/yamllint.yaml" "$B/chart/Chart.yaml"

fresh && sed -i 's/^version: .*$/version: not-semver/' "$B/chart/Chart.yaml"
expect_fail "helm lint (version not SemVer)" chart_lint_all "$B/chart"

fresh && printf '{{ if }}\n' >>"$B/chart/templates/service.yaml"
expect_fail "render (template syntax error)" chart_render_all "$B/chart" "$work/rendered-broken"

fresh && sed -i 's|^    cognitoUserPool: .*$|&\n    jwksUrl: https://auth.example.com/.well-known/jwks.json|' "$B/chart/ci/apigw-cognito-values.yaml"
expect_fail "render (Cognito pool with jwksUrl: the API refuses it)" chart_render_all "$B/chart" "$work/rendered-broken-pool"

fresh && sed -i '/^    API_CURSOR_SECRET:$/,+1d' "$B/chart/ci/apigw-cognito-values.yaml"
expect_fail "render (Cognito pool, several api pods, no API_CURSOR_SECRET)" chart_render_all "$B/chart" "$work/rendered-broken-cursor"

fresh && sed -i 's/^  type: {{ .Values.service.type }}$/  type: {{ .Values.service.type }}\n  sessionAfinity: None/' "$B/chart/templates/service.yaml" &&
  chart_render_all "$B/chart" "$work/rendered-broken-k8s" >/dev/null 2>&1
expect_fail "Kubernetes schemas (Service spec.sessionAfinity)" kube_schemas "$work/rendered-broken-k8s"

fresh && sed -i 's/^  readOnlyRootFilesystem: true$/  readOnlyRootFilesystem: false/' "$B/chart/values.yaml" &&
  chart_render_all "$B/chart" "$work/rendered-broken-checkov" >/dev/null 2>&1
expect_fail "checkov chart (readOnlyRootFilesystem false)" checkov_k8s "$work/rendered-broken-checkov"

echo "-- the real files:"
run_checks "$root/terraform" "$root/charts/vidproc" real
exit "$failed"
