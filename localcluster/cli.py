"""The `sniffer` console script: `sniffer ARGS` is `python -m bytewax.run flows.sniffer ARGS`,
every `bytewax.run` flag included (`-w`, `-i`/`-a`, `-r`/`-s`/`-b`, their environment variables).

`bytewax.run` does its work under ``if __name__ == "__main__"``, so this runs that module as
`__main__` with the job's module put first on its command line, rather than copying its
argument handling.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence

from localcluster.jobrun import JOB


def main(argv: Sequence[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    sys.argv = ["sniffer", JOB, *args]
    runpy.run_module("bytewax.run", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
