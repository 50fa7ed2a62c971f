#!/usr/bin/env bash
# Install Ipopt for the pyomo:ipopt backend: Debian's Ipopt library, cyipopt built against it, and
# Pyomo's PyNumero library (which cyipopt-in-Pyomo needs; it lives in ~/.pyomo, outside any venv).
#
# Idempotent and quiet: each step is skipped when its check passes, so a second run takes ~1 s.
# Usage: bash scripts/install_ipopt.sh            (PYTHON=/path/to/python to pick the interpreter)
# Exit status 0 when `pyomo:ipopt` is usable afterwards, non-zero otherwise.
set -euo pipefail

PY="${PYTHON:-python}"
# liblapack-dev and libblas-dev give the unversioned .so files the cyipopt link step (-llapack -lblas) needs.
DEBS=(coinor-libipopt-dev pkg-config libamplsolver-dev cmake liblapack-dev libblas-dev)
ASL_INCLUDE=/usr/include/ampl-netlib-solvers
LOG="$(mktemp -t install_ipopt.XXXXXX.log)"
trap 'rm -f "$LOG"' EXIT

fail() {
    echo "install_ipopt: $1 failed; its output:" >&2
    cat "$LOG" >&2
    exit 1
}

# 1. Debian packages (only when one is missing: apt-get update is the slow part).
missing=()
for pkg in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    echo "install_ipopt: installing Debian packages: ${missing[*]}"
    { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"; } \
        >"$LOG" 2>&1 || fail "apt-get install ${missing[*]}"
fi

# 2. cyipopt, compiled from source against the Debian Ipopt (pkg-config finds it).
if ! "$PY" -c "import cyipopt" >/dev/null 2>&1; then
    echo "install_ipopt: building cyipopt against the Debian Ipopt (~20 s)"
    "$PY" -m pip install --quiet --no-binary cyipopt "cyipopt>=1.4" >"$LOG" 2>&1 || fail "pip install cyipopt"
fi

# 3. Pyomo's PyNumero (AMPL solver library interface), built once into ~/.pyomo.
pynumero_ok() {
    "$PY" -c "from pyomo.contrib.pynumero.asl import AmplInterface; import sys; sys.exit(0 if AmplInterface.available() else 1)" \
        >/dev/null 2>&1
}
if ! pynumero_ok; then
    echo "install_ipopt: building Pyomo's PyNumero library (~5 s)"
    "$PY" - >"$LOG" 2>&1 <<PYEOF || fail "the PyNumero build"
from pyomo.contrib.pynumero.build import build_pynumero
build_pynumero(user_args=["-DASL_INCLUDE_DIR=$ASL_INCLUDE",
                          "-DASL_LIBRARY=$(ls /usr/lib/*/libamplsolver.so | head -n1)",
                          "-DBUILD_AMPLASL_IF_NEEDED=OFF"], parallel=2)
PYEOF
    pynumero_ok || fail "the PyNumero check after building"
fi

# 4. End-to-end check: a two-variable NLP through Pyomo's cyipopt interface.
"$PY" - >"$LOG" 2>&1 <<'PYEOF' || fail "the Pyomo + cyipopt smoke test"
import pyomo.environ as pyo
m = pyo.ConcreteModel()
m.x = pyo.Var(initialize=1.0)
m.y = pyo.Var(initialize=1.0)
m.c = pyo.Constraint(expr=m.x + m.y == 1)
m.o = pyo.Objective(expr=m.x ** 2 + m.y ** 2)
res = pyo.SolverFactory("cyipopt").solve(m)
assert abs(pyo.value(m.x) - 0.5) < 1e-6, pyo.value(m.x)
PYEOF
