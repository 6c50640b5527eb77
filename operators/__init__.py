"""The dataflow's steps: decoding and launch detection, dedup, filters, scoring, batching."""
