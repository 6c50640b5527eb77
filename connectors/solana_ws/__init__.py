"""The ``solana_ws`` source: live frames from a Solana RPC websocket (any node, or Helius).

A background thread runs an asyncio client (``websockets``) that connects to ``ws_url`` and
subscribes:

- by default with one ``logsSubscribe`` per program of ``ws_programs`` (the ``mentions`` filter
  takes one program id), at ``ws_commitment``;
- with ``ws_transaction_subscribe``, with ONE Helius ``transactionSubscribe`` whose
  ``accountInclude`` lists every program (``failed: false``, ``vote: false``, ``jsonParsed``,
  full details, ``maxSupportedTransactionVersion: 0``): full transactions, so Raydium launches
  come with their mints. Failed transactions are not asked for: the detector ignores them anyway,
  and on pump.fun they are a large share of the traffic.

Every frame that is not a reply to one of our requests is handed to the dataflow as a `RawFrame`
holding the exact bytes received, stamped with ``clock()`` when it arrived. The source reads no
more of a frame than it must: a reply (``{"id":N,"result"|"error":…}``) is recognised because it
has no ``"method"`` near its start and is small; a notification's slot (for the gap metrics) is
read with a regular expression from its first or last few hundred bytes.

What the source does with each kind of frame, and why:

- **subscription acks** are recorded (subscription id -> programs,
  `SolanaWsPartition.subscriptions`) and never handed on;
- **error replies** are logged (WARNING or ERROR, with the method and the program they answer and
  the redacted URL) and counted in ``source_errors{source="solana_ws",kind}``: ``method_not_found``
  (-32601) and ``invalid_params`` / ``invalid_request`` (-32602 / -32600) are permanent: that
  subscription is given up with an ERROR log and never sent again, not even after a reconnect (a
  node that does not have ``transactionSubscribe`` will not grow it by being asked every few
  seconds). ``rate_limited`` (HTTP-style 429, -32005, -32429, or "too many requests" / "rate
  limit" in the message) and any other error (``refused``) are transient: that one subscription is
  sent again on the same connection after the reconnect backoff (doubling, full jitter), so a
  refusal is never retried in a tight loop. When EVERY subscription has been given up, the source
  has nothing left to receive: it closes the connection and `next_batch` raises `SolanaWsError`,
  which stops the job with that message (a sniffer that runs but cannot see anything should fail
  loudly, not look healthy);
- **replies to no pending request** (``{"result":false,"id":3}``, an error for id 9999) are
  counted (``unexpected_reply``, or the error's kind) and logged, never handed on;
- **everything else** (notifications of any kind, text that is not JSON, binary frames, JSON of
  the wrong shape) is handed on unchanged. The decoder counts what it cannot use in
  ``tx_invalid{reason}`` and writes it to the dead-letter file: one place counts bad frames, so the
  job's conservation law covers them and the evidence is kept. We subscribe only to logs or
  transactions, so other notifications do not arrive from a well-behaved node.

Reconnects: a lost connection (or a failed attempt) is retried after
``random.uniform(0, min(ws_reconnect_max_s, ws_reconnect_initial_s * 2**n))`` seconds (full
jitter), ``n`` counting the failed attempts since the last connection that delivered a frame.
Every subscription still wanted is sent again. Each successful reconnection counts one
``source_reconnects``, and the gap is measured: ``source_gap_last_slot_before`` (the highest slot
seen before), ``source_gap_first_slot_after`` (the slot of the first frame after) and
``source_gap_slots`` (after - before). A websocket cannot replay what it missed: the source keeps
no resume state (its snapshot is None) and its delivery is **at most once across reconnects**;
frames of the reconnect overlap may arrive twice, and the dataflow's dedup removes those.

The hand-over queue holds ``source_queue_capacity`` frames. When it is full the OLDEST frame is
dropped (a fresher frame is worth more to a sniper) and counted in ``source_dropped``;
``source_queue_depth`` follows the queue. Frames still queued when the partition closes are
counted there too.

The URL may carry an API key (in the query, the userinfo, or a path segment): every log line shows
it through `redact_url`, and the ``websockets`` library's own log lines (its DEBUG lines print the
request path and headers) go through a logger that masks the key and the Basic credentials.
"""
