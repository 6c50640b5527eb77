"""Sources and sinks: one module or package per outside system. They move frames and candidates
in and out and know nothing of scoring or batching.

- `solana_ws` (a Solana RPC websocket), `redis_streams` and `kafka` (each with a `source` and,
  where there is one, a `sink`), `webhook`: networked, each behind its optional extra and imported
  only when the configuration names it;
- `replay` and `recorder` (record mode's file), `line_sinks` (stdout, jsonl, null), `dead_letter`;
- `_support`: what they all share (the backoff policy, the throttled logger, the append file,
  masking secrets in URLs).

Each takes plain arguments or a small frozen settings object; `flows.settings` fills them from
the configuration. Anything holding a client, socket or file opens in `open()`/`start()` and
closes idempotently.
"""
