"""Facts every rule shares, computed once per module from Python's ``ast``."""
