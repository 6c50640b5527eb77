#!/usr/bin/env bash
# The whole test suite: lint (ruff), types (mypy), then pytest. Extra arguments go to pytest.
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/system-deps.sh"
echo "== ruff" >&2
ruff check .
ruff format --check .
echo "== mypy" >&2
mypy
echo "== pytest" >&2
exec python -m pytest "$@"
