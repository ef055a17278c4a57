"""Reach (analysis/reach.py): what the server runs, from its entry points (routes.py)."""
