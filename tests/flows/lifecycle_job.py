"""The real job (`bytewax.run flows.sniffer`) with its file ends watched: every close of the jsonl
sink and the dead-letter file prints a line ``closed: <what>`` on stderr. With
``LIFECYCLE_FAIL=1`` the step that writes dead letters raises, so the job ends by a failing step.
Run as ``python -m tests.flows.lifecycle_job`` (the job's own environment variables apply)."""

from __future__ import annotations

import os
import runpy
import sys

from connectors.dead_letter import DeadLetterFile
from connectors.line_sinks import JsonlFileTransport
from domain.models import InvalidFrame


def _watch(cls: type, what: str) -> None:
    close = cls.close

    def watched(self: object) -> None:
        close(self)
        print(f"closed: {what}", file=sys.stderr, flush=True)

    cls.close = watched  # type: ignore[attr-defined]


def _fail(_self: InvalidFrame) -> bytes:
    raise RuntimeError("a failing step, on purpose")


if __name__ == "__main__":
    _watch(JsonlFileTransport, "jsonl")
    _watch(DeadLetterFile, "dead_letter")
    if os.environ.get("LIFECYCLE_FAIL") == "1":
        InvalidFrame.dead_letter_line = _fail  # type: ignore[method-assign]
    sys.argv = ["bytewax.run", "flows.sniffer"]
    runpy.run_module("bytewax.run", run_name="__main__", alter_sys=True)
