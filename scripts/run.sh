#!/usr/bin/env bash
# Run the sniffer job (on its embedded default unless SNIFFER_* says otherwise). Extra arguments go
# to `python -m bytewax.run`, e.g. `scripts/run.sh -w 2`.
source "$(dirname "$0")/env.sh"
exec python -m bytewax.run flows.sniffer "$@"
