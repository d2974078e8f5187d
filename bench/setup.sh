#!/usr/bin/env bash
# Create bench/.venv with the comparison anchors (never product dependencies) and the product
# itself (editable), so every benchmark runs the engine and the anchors in one interpreter.
#   bash bench/setup.sh            # idempotent; re-run after a product dependency change
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${PYTHON:-python3}"
VENV="$HERE/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# Anchors. BigARTM 0.9.2's wheel needs protobuf 3.x (the 4.x runtime rejects its generated code).
"$VENV/bin/python" -m pip install -q \
  "bigartm==0.9.2" "protobuf==3.20.3" six \
  tomotopy gensim scikit-learn psutil
# The product (engine) itself, editable. --no-deps: the engine needs only the numeric stack
# below (the dashboard's streamlit would pull a protobuf that BigARTM's wheel cannot load).
"$VENV/bin/python" -m pip install -q "numpy>=1.26" "scipy>=1.11" "numba>=0.59" "pandas>=2.1" "pyarrow>=14" \
  "filelock>=3.12" "charset-normalizer>=3.0"
"$VENV/bin/python" -m pip install -q --no-deps -e "$ROOT"
"$VENV/bin/python" -m pip install -q "protobuf==3.20.3"
"$VENV/bin/python" - <<'PY'
import artm, tomotopy, gensim, sklearn, numba, numpy
print("bench venv ok:", "bigartm", artm.version(), "| tomotopy", tomotopy.__version__,
      "| gensim", gensim.__version__, "| sklearn", sklearn.__version__,
      "| numba", numba.__version__, "| numpy", numpy.__version__)
PY
