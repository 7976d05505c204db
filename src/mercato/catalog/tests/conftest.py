"""Fixtures of the catalogue tests."""

import pytest


@pytest.fixture
def catalogue(import_catalogue):
    """The category tree and brands the import files name (mercato.testing)."""
    return import_catalogue
