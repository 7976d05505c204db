"""`mercato seed-demo`: the same command as `seed_demo` (the issue spells it with a hyphen)."""

from .seed_demo import Command

__all__ = ["Command"]
