"""Re-exports ``fetch`` from the remote module."""

from .remote import fetch
from .store import *  # noqa: F403
