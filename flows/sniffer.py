"""The sniffer job: `python -m bytewax.run flows.sniffer`.

Importing this module loads the configuration (an invalid one exits 2 here, before the dataflow
starts), sets up logging and the exit snapshot, and builds `flow`.
"""

from flows.pipeline import build_flow
from flows.runtime import start_process

config, metrics = start_process()
flow = build_flow(config, metrics)
