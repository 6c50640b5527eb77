"""What the configuration says about the ``kafka`` source and sink (no client import here, so
building them never loads ``confluent_kafka``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class KafkaSourceSettings:
    """What the configuration says about the ``kafka`` source."""

    #: Not in the repr, like every address the configuration holds as a secret.
    brokers: str = field(repr=False)
    topic: str
    group: str | None


@dataclass(frozen=True)
class KafkaSinkSettings:
    """What the configuration says about the ``kafka`` sink."""

    brokers: str = field(repr=False)
    topic: str
    timeout_s: float
