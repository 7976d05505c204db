"""The catalogue endpoints: public reads (read.py) and permission-checked writes (write.py)."""

from . import read, write  # noqa: F401  (they register their operations on the router)
from .router import router

__all__ = ["router"]
