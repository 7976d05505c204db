"""`mercato demo-info`: the same command as `demo_info`."""

from .demo_info import Command

__all__ = ["Command"]
