"""Running the sniffer job as processes on this machine.

- `localcluster.jobrun`: one run of the job as a child process and what it printed (the tests,
  the notebooks and the benchmarks start the job through it).
- `localcluster.supervisor` and `localcluster.options`: a local cluster, N processes of the job
  started, watched and stopped together; `python -m localcluster` (`scripts/run-cluster.sh`).
- `localcluster.cli`: the `sniffer` console script, the job with every `bytewax.run` flag.

This is a process supervisor, not part of the dataflow: `flows/` only wires the job.
"""
