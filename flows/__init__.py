"""Wiring only: the job's dataflow and process, built from the configuration. A line here that
decides something about data belongs in an operator.

- `sniffer`: what `python -m bytewax.run flows.sniffer` runs (exposes `flow`);
- `pipeline`: the dataflow; `settings`: the configuration mapped onto each part's settings;
  `endpoints`: the configured source and sink, imported only when named;
- `runtime`: the process lifecycle (exit 2 on a bad configuration, signals, observability);
  `lifecycle`: closing what the job opened, however it ends; `stoppable`: the shutdown signal as
  the end of the stream; `simulated_delay`: the load experiments' slow consumer.
"""
