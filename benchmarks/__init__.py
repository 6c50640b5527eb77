"""Benchmarks of the sniffer: run them as modules (`python -m benchmarks.delivery`)."""
