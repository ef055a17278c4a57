"""Inventory API: demo application used by the fastapi-perf README."""
