#!/usr/bin/env bash
# One-command set-up: install isactoolbox with its test extras, enable the pyomo:ipopt backend
# (Debian Ipopt + cyipopt + PyNumero; skipped with a warning where apt is not usable), then run the
# demo: a shipped scenario solved end to end, result and figure written to ./isactoolbox-demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
"$PY" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
"$PY" -m pip install --quiet -e ".[test,plots]"
# The Clarabel backend plugin ships in plugins/ as a separate distribution (the fastest SDP route here).
"$PY" -m pip install --quiet -e plugins/isactoolbox-clarabel
if [ -f scripts/install_ipopt.sh ]; then
    PYTHON="$PY" bash scripts/install_ipopt.sh \
        || echo "setup: pyomo:ipopt not enabled (see 'isactoolbox backends'); every other backend works" >&2
fi
if [ "${SKIP_DEMO:-0}" != "1" ]; then
    "$PY" -m isactoolbox.cli demo --out isactoolbox-demo
fi
