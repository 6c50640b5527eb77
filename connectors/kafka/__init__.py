"""The ``kafka`` source and sink (`source`: frames in from a topic; `sink`: candidates out to
another), both on ``confluent_kafka`` (librdkafka), the client Bytewax's own Kafka connector uses.
Needs the ``kafka`` extra; nothing here is imported until the configuration names Kafka."""
