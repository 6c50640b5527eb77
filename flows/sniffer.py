"""The sniffer job: `python -m bytewax.run flows.sniffer`.

Importing this module loads the configuration (an invalid one exits 2 here, before the dataflow
starts), starts the metrics endpoint and the status line, installs the graceful-shutdown signal
handlers and the exit snapshot, and builds `flow`.
"""

from flows.pipeline import build_flow
from flows.runtime import start_process

process = start_process()
flow = build_flow(process.config, process.metrics, shutdown=process.shutdown)
