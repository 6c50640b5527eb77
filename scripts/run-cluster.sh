#!/usr/bin/env bash
# Run the sniffer job as a local cluster of N processes (default 2): `python -m localcluster`.
# Launcher options: -n N, --host, --base-port, --kill-after; every other argument (and everything
# after --) goes to each `python -m bytewax.run flows.sniffer`, e.g.
#   scripts/run-cluster.sh -n 3 -w 2
#   SNIFFER_SYNTHETIC_PARTITIONS=4 scripts/run-cluster.sh -n 2 --base-port 2101
# Candidates on stdout, each process's stderr prefixed with [k]; Ctrl-C stops all gracefully.
source "$(dirname "$0")/env.sh"
exec python -m localcluster "$@"
