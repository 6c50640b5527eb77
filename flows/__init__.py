"""Dataflow wiring. `flows.sniffer` is what `python -m bytewax.run flows.sniffer` runs."""
