"""Fixtures for the observability tests that run the real job."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.support import RunningJob


@pytest.fixture
def jobs() -> Iterator[list[RunningJob]]:
    """Jobs a test starts; each is killed at the end whatever happened."""
    started: list[RunningJob] = []
    try:
        yield started
    finally:
        for job in started:
            job.kill()
