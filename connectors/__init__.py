"""Sources and sinks: one module per outside system. They move frames and candidates in and out
and know nothing of scoring or batching."""
