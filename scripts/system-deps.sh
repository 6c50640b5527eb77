#!/usr/bin/env bash
# Debian packages the test suite needs that pip cannot install, installed only when missing:
#   prometheus    prometheus and promtool (tests/deploy: rule checks, rule unit tests, a live scrape)
#   redis-server  redis-server (tests/connectors: the redis source and sink against a real server)
# Needs root (or password-less sudo) the first time; does nothing once everything is there.
set -euo pipefail

missing=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "sniffer: the tests need the Debian package(s) ${missing[*]}; as root run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "sniffer: the tests need ${missing[*]} (prometheus + promtool, redis-server) on PATH;" \
       "no apt-get here, install them with this system's package manager" >&2
  exit 1
fi

echo "sniffer: installing ${missing[*]} (Debian packages the tests need)" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { ${as_root[@]+"${as_root[@]}"} apt-get -qq update &&
       ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
         apt-get -qq install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "sniffer: installing ${missing[*]} failed" >&2
  exit 1
fi

# The packages' init scripts may have started system services (prometheus on :9090,
# redis-server on :6379); the tests start their own on free loopback ports, so stop those.
for package in "${missing[@]}"; do
  ${as_root[@]+"${as_root[@]}"} service "$package" stop >/dev/null 2>&1 || true
done
