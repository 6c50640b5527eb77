"""Redis Streams: the ``redis`` source (frames in, `source`) and the ``redis`` sink (candidates
out, `sink`), on the ``redis`` client (the ``redis`` extra). Nothing here is imported until the
configuration names Redis."""
