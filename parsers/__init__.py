"""Pure message parsing and extraction: bytes in, typed results out, no I/O."""
