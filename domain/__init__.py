"""The shared vocabulary of the sniffer, imported by every other package and importing none of
them (only `solwire`, for the launchpad names).

- `config`: `SnifferConfig`, every runtime parameter with its validation (presets, TOML, env);
  every rule is checked here, once, before the dataflow starts.
- `models`: the records that flow (`RawFrame`, `Launch`, `InvalidFrame`, `Candidate`, `Batch`).
- `metrics`: the one table of metrics, the `Metrics` object and the snapshot with its keys.
- `transport`: the seam between the send path and the sinks.
- `shutdown`: the graceful-shutdown flag and its deadline.
"""
