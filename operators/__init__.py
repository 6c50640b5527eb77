"""The dataflow's steps, each a plain function with a step id, built on a small logic class where
it keeps state (the class's `snapshot()` is its recovery state and its test surface).

- `decode` (one frame in, a launch, an invalid frame or nothing out; never raises) and
  `detection` (counting every frame with its outcome);
- `dedup`, `filters`, `scoring`: the candidate stage, on one key;
- `batching`: batches by size or by the age of their first item;
- the send path: `delivery` (the step), `send_path`, `stream_buffer` (the drop policies),
  `batch_sender` (retries), `rate_limit`.

Steps take small settings objects or plain arguments, never the configuration.
"""
