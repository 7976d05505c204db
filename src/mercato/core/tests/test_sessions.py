"""A new visitor's session (mercato.core.sessions): one INSERT, a key in use drawn again."""

from unittest import mock

import pytest
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.models import Session

from mercato.core import sessions
from mercato.core.sessions import SessionStore, new_session_key


def test_new_keys_are_32_characters_of_djangos_alphabet():
    keys = {new_session_key() for _ in range(2000)}
    assert len(keys) == 2000
    assert all(len(key) == 32 and set(key) <= set(VALID_KEY_CHARS) for key in keys)
    # Every character turns up, in every position: no digit of the draw is stuck.
    assert set("".join(keys)) == set(VALID_KEY_CHARS)
    assert all(len({key[i] for key in keys}) == len(VALID_KEY_CHARS) for i in range(32))


@pytest.mark.django_db(transaction=True)
def test_a_new_session_is_written_once_outside_a_transaction():
    store = SessionStore()
    store["seen"] = 1
    store.create()
    row = Session.objects.get(session_key=store.session_key)
    assert SessionStore().decode(row.session_data) == {"seen": 1}
    assert SessionStore(session_key=store.session_key).load() == {"seen": 1}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_transaction", [False, True])
def test_a_key_in_use_is_drawn_again_and_the_first_session_kept(in_transaction):
    """The INSERT skips a key in use (no look-up first); create() draws another. Inside a
    caller's transaction the skipped INSERT is no error: the caller's work goes on."""
    from django.db import transaction

    first = SessionStore()
    first["who"] = "first"
    first.create()
    taken, fresh = first.session_key, new_session_key()
    second = SessionStore()
    second["who"] = "second"
    with mock.patch.object(sessions, "new_session_key", side_effect=[taken, fresh]):
        if in_transaction:
            with transaction.atomic():
                second.create()
                assert Session.objects.filter(session_key=fresh).exists()
        else:
            second.create()
    assert second.session_key == fresh
    assert SessionStore(session_key=taken).load() == {"who": "first"}
    assert SessionStore(session_key=fresh).load() == {"who": "second"}
