"""The ``yellowstone`` source: transactions from a Yellowstone (Geyser) gRPC endpoint.

Any server speaking ``geyser.Geyser/Subscribe`` works: a validator's Yellowstone plugin, Triton
(Dragon's Mouth), Helius LaserStream, QuickNode, Chainstack... A background thread
(`client.Client`) subscribes with one transaction filter: ``account_include`` = ``grpc_programs``
(default: the programs of the ``launchpads`` setting), ``vote: false``, ``failed: false``, at
``grpc_commitment``; the token goes in the ``x-token`` metadata of the call (never logged). TLS for
``https://``, plaintext for ``http://``; messages up to ``grpc_max_message_bytes``; HTTP/2
keepalive pings every 15 s.

Each transaction update becomes a `Transaction` directly (`convert.transaction_of`: no JSON on
the hot path), carried by a `RawFrame` whose payload IS that transaction;
`solwire.frames.read_frame`
passes it through. In record mode the frame is written as the update's canonical protobuf JSON,
which `solwire.yellowstone_json` reads back on replay.

What the source does when the world misbehaves:

- **server pings** (``SubscribeUpdate.ping``, every ~15 s) are answered with a
  ``SubscribeRequest{ping: {id}}`` on the same stream (load balancers cut a one-way stream);
- **silence**: no message at all (not even a ping) for ``grpc_silence_timeout_s`` cancels the call
  (a watchdog thread), counted in ``source_errors{kind="silent"}``;
- **the stream ends or fails** (any status but the fatal ones): resubscribe after the project's
  backoff (doubling, capped, full jitter), ``from_slot`` = the highest slot seen, so nothing in
  the server's replay window is lost; what the replay repeats is dropped by signature (the last
  ``dedup_capacity`` signatures are remembered). Each resubscription counts in
  ``source_reconnects``; ``source_gap_*`` say whether the replay covered the outage (0 slots) or
  not (the first slot after was beyond the one asked for, issue rpcpool/yellowstone-grpc#830);
- **the replay is refused** (OUT_OF_RANGE, or INVALID_ARGUMENT / INTERNAL / FAILED_PRECONDITION
  naming the slot: the slot is older than the server keeps): resubscribe at the live head once,
  and measure the gap in slots;
- **an oversized message** (RESOURCE_EXHAUSTED) and **a transaction without meta** are counted
  (``message_too_large``, ``no_meta``) and the stream goes on (resubscribed, for the first);
- **the token is refused** (UNAUTHENTICATED, PERMISSION_DENIED), **the endpoint is no Geyser
  server** (UNIMPLEMENTED) or **the filter is refused** (INVALID_ARGUMENT): one ERROR line, then
  the job exits 2 (a sniffer that runs but sees nothing must fail loudly).

The queue toward the dataflow holds ``source_queue_capacity`` frames and drops the oldest when
full (``source_dropped``, ``source_queue_depth``). The partition's resume state is the highest
slot of the frames the dataflow took: a job restarted with recovery subscribes from there.
"""

import os

# gRPC's C core logs connection events (GOAWAY, resets) to stderr on its own; the source reports
# what matters through logging. An explicit GRPC_VERBOSITY still wins.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
