"""Solana wire knowledge: the one home of what transactions look like on the wire.

Both the decode step (`operators.decode`) and the synthetic generator (`fakechain`) import from
here, so no program id, discriminator or codec is written twice.

- `solwire.programs`: program ids, Anchor event discriminators, fixed amounts;
- `solwire.base58` and `solwire.borsh`: the two codecs (reading, and the writing the generator
  needs);
- `solwire.logs`: the runtime's log lines, and `Invoke` / `render_logs` to write them;
- `solwire.events`: the launchpads' Borsh event layouts, as encoders;
- `solwire.frames`: the frame formats (logsNotification, Helius transactionNotification,
  getTransaction) read into a `Transaction`, and the logsNotification writer;
- `solwire.launches` and `solwire.instructions`: finding a launch in a parsed transaction.
"""
