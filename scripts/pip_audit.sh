#!/usr/bin/env bash
# CI step: audit the locked requirements against PyPI's own vulnerability data.
#
#   scripts/pip_audit.sh [requirements.lock]
#
# exit 0  no known vulnerability with a fix (those without a fix are listed as warnings),
#         or PyPI could not be reached (said plainly: the dependencies were NOT audited)
# exit 1  at least one locked package has a known vulnerability that a newer version fixes
# exit 2  the audit itself could not run (pip-audit missing, unreadable lock file, …)
#
# Test seams: PIP_AUDIT_PROBE_URL (what "PyPI reachable?" fetches) and PIP_AUDIT_RESULT
# (a pip-audit JSON report to read instead of running pip-audit).
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
LOCK=${1:-requirements.lock}
PROBE_URL=${PIP_AUDIT_PROBE_URL:-https://pypi.org/pypi/pip/json}

if [[ ! -r "$LOCK" ]]; then
  echo "pip-audit: cannot read $LOCK" >&2
  exit 2
fi

report=${PIP_AUDIT_RESULT:-}
if [[ -z "$report" ]]; then
  if ! "$PYTHON" -m pip_audit --version >/dev/null 2>&1; then
    echo "pip-audit is not installed in $PYTHON's environment (it belongs in the dev extras)" >&2
    exit 2
  fi
  if ! reason=$("$PYTHON" - "$PROBE_URL" <<'PY' 2>&1
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=10).close()
except Exception as exc:  # any failure means: no audit possible now
    print(getattr(exc, "reason", None) or exc)
    sys.exit(1)
PY
  ); then
    echo "pip-audit: PyPI's vulnerability service is unreachable ($reason);" \
         "the dependencies in $LOCK were NOT audited in this build"
    exit 0
  fi
  report=$(mktemp)
  trap 'rm -f "$report"' EXIT
  errors=$(mktemp)
  trap 'rm -f "$report" "$errors"' EXIT
  # --no-deps --disable-pip: every line of the lock file is pinned; nothing is installed.
  "$PYTHON" -m pip_audit --requirement "$LOCK" --no-deps --disable-pip \
      --vulnerability-service pypi --format json --progress-spinner off --timeout 30 \
      --output "$report" 2>"$errors"
  status=$?
  if [[ $status -ne 0 && $status -ne 1 ]]; then
    if grep -qiE "connection|timed out|timeout|resolve|unreachable|ServiceError|Max retries" "$errors"; then
      echo "pip-audit: PyPI's vulnerability service stopped answering ($(tail -n 1 "$errors"));" \
           "the dependencies in $LOCK were NOT audited in this build"
      exit 0
    fi
    echo "pip-audit failed (exit $status):" >&2
    cat "$errors" >&2
    exit 2
  fi
fi

"$PYTHON" - "$report" "$LOCK" <<'PY'
import json, sys

path, lock = sys.argv[1], sys.argv[2]
try:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
except (OSError, ValueError) as exc:
    print(f"pip-audit: unreadable report {path}: {exc}", file=sys.stderr)
    sys.exit(2)
fixable, unfixed, skipped, audited = [], [], [], 0
for dep in data.get("dependencies", []):
    if "skip_reason" in dep:
        skipped.append(dep["skip_reason"])
        continue
    audited += 1
    for vuln in dep.get("vulns", []):
        names = ", ".join([vuln["id"], *vuln.get("aliases", [])])
        line = f"{dep['name']} {dep['version']}: {names}"
        if vuln.get("fix_versions"):
            fixable.append(f"{line} (fixed in {', '.join(vuln['fix_versions'])})")
        else:
            unfixed.append(f"{line} (no fixed version yet)")
if skipped and not audited:
    print(f"pip-audit: none of the {len(skipped)} locked package(s) could be looked up on PyPI "
          f"({skipped[0]}); the dependencies in {lock} were NOT audited in this build")
    sys.exit(0)
for reason in skipped:
    print(f"warning: not audited: {reason}")
for line in unfixed:
    print(f"warning: {line}")
if fixable:
    print(f"pip-audit: {len(fixable)} known vulnerability(ies) with a fix in {lock}:")
    for line in fixable:
        print(f"  {line}")
    print("upgrade these pins (make lock) and run the tests")
    sys.exit(1)
print(f"pip-audit: {audited} locked package(s) audited against PyPI: "
      f"no known vulnerability with a fix" + (f" ({len(unfixed)} without a fix yet)" if unfixed else ""))
PY
