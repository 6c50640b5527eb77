"""The shared vocabulary of the sniffer: configuration, the records that flow, and metrics.

`flows`, `operators` and `connectors` import from here; this package imports none of them.
"""
