"""What every networked connector needs the same way: one retry backoff policy, one throttled
logger and the masking of secrets in URLs. Private to `connectors`."""
