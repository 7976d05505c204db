"""Fixtures of the catalogue tests."""

from .import_helpers import catalogue  # noqa: F401  (the import/export tests' category tree)
