"""`python -m localcluster`: run the sniffer as a cluster of N local processes (the launcher
`scripts/run-cluster.sh` runs)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from domain.config import ConfigError, load_config
from localcluster.options import parse_args
from localcluster.supervisor import Cluster


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    # Every process reads the same configuration: a bad one is reported once, here, the way a
    # single process reports it (one line per problem, exit 2), and no process is started.
    try:
        config = load_config()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"sniffer: configuration error: {problem}", file=sys.stderr)
        return 2
    kill_after = options.kill_after
    if kill_after is None:
        kill_after = config.graceful_shutdown_timeout_ms / 1000 + 10.0
    cluster = Cluster(options, kill_after, sys.stdout.buffer, sys.stderr.buffer)
    return cluster.run()


if __name__ == "__main__":
    sys.exit(main())
