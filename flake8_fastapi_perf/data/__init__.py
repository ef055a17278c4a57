"""Rule tables: plain data, extendable from configuration (``extend-blocking``, ``allow``)."""
