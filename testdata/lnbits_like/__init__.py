"""A small Lightning-wallet style FastAPI app (in the manner of lnbits), written for the fixer's tests."""
