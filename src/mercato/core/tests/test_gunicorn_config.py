"""gunicorn's master loads the application once and forks every worker from it
(mercato.gunicorn_config): what it holds at the fork is copied into each worker."""

import pytest
from django.db import connection

from mercato import gunicorn_config
from mercato.search import warmup


def test_the_application_is_preloaded_in_the_master():
    assert gunicorn_config.preload_app is True


@pytest.mark.django_db(transaction=True)
def test_the_master_forks_only_after_the_dictionary_is_loaded():
    thread = warmup.warm_up_in_background()

    gunicorn_config.pre_fork(server=None, worker=None)

    # a thread still loading would leave its half-built dictionary and held locks in the copy
    assert not thread.is_alive()


@pytest.mark.postgres  # SQLite's test database lives in memory, where close() keeps it open
@pytest.mark.django_db(transaction=True)
def test_the_master_forks_with_no_database_connection():
    connection.ensure_connection()
    assert connection.connection is not None

    gunicorn_config.pre_fork(server=None, worker=None)

    # one socket shared by every worker would interleave their statements
    assert connection.connection is None
