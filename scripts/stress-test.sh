#!/usr/bin/env bash
# The whole suite on a busy machine: `stress-ng --cpu 2 --cpu-load 60` keeps both cores 60 % busy
# while scripts/test.sh runs N times in a row (default 3); each run's duration and result are
# printed, and the exit code is 1 if any run failed. Arguments after N go to scripts/test.sh:
#   scripts/stress-test.sh            # three runs of the whole suite
#   scripts/stress-test.sh 5 -x -q    # five runs, pytest -x -q
# Installs Debian's stress-ng when it is missing (root or password-less sudo needed then).
# STRESS_DRY_RUN=1 prints what it would run and runs nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

runs=3
if [ "$#" -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then
  runs="$1"
  shift
fi
if [ "$runs" -lt 1 ]; then
  echo "stress-test: the number of runs must be at least 1" >&2
  exit 2
fi
dry="${STRESS_DRY_RUN:-0}"

run() {
  if [ "$dry" = 1 ]; then
    echo "+ $*"
  else
    "$@"
  fi
}

if ! command -v stress-ng >/dev/null 2>&1; then
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    elif [ "$dry" != 1 ]; then
      echo "stress-test: needs stress-ng; as root run:" >&2
      echo "  apt-get update && apt-get install -y --no-install-recommends stress-ng" >&2
      exit 1
    fi
  fi
  echo "stress-test: installing stress-ng (Debian package)" >&2
  run ${as_root[@]+"${as_root[@]}"} apt-get -qq update
  run ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get -qq install -y --no-install-recommends stress-ng
fi

stress_pid=""
stop_stress() {
  if [ -n "$stress_pid" ] && kill -0 "$stress_pid" 2>/dev/null; then
    kill -TERM "$stress_pid" 2>/dev/null || true
    wait "$stress_pid" 2>/dev/null || true
  fi
}
trap stop_stress EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$dry" = 1 ]; then
  echo "+ stress-ng --cpu 2 --cpu-load 60 &"
else
  stress-ng --cpu 2 --cpu-load 60 --quiet &
  stress_pid=$!
  echo "stress-test: stress-ng --cpu 2 --cpu-load 60 running (pid $stress_pid)" >&2
fi

results=()
failed=0
for i in $(seq 1 "$runs"); do
  echo "stress-test: run $i of $runs: scripts/test.sh $*" >&2
  start=$(date +%s)
  if run "$ROOT/scripts/test.sh" "$@"; then
    result=passed
  else
    result="FAILED (exit $?)"
    failed=1
  fi
  seconds=$(( $(date +%s) - start ))
  results+=("run $i: $result in $((seconds / 60)) min $((seconds % 60)) s")
  echo "stress-test: ${results[-1]}" >&2
done

echo "stress-test: $runs run(s) of scripts/test.sh $* under stress-ng --cpu 2 --cpu-load 60:"
printf '  %s\n' "${results[@]}"
exit "$failed"
