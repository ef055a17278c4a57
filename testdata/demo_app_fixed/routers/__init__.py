"""HTTP routers for the inventory API."""
