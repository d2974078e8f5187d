#!/usr/bin/env bash
# The one command: install the anchors (bench/.venv), build the corpus, print the speed table.
#   bash bench/run_all.sh                 # T = 20 and 100, all systems (~10-15 min on 2 idle cores)
#   bash bench/run_all.sh --topics 100    # extra arguments go to bench/run_speed.py
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
bash "$HERE/setup.sh"
"$HERE/.venv/bin/python" "$HERE/data.py"
"$HERE/.venv/bin/python" "$HERE/run_speed.py" "$@"
