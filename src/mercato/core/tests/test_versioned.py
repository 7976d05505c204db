"""core.versioned: a value kept in the process while the version a caller read holds."""

from mercato.core import versioned
from mercato.core.versioned import UNREAD, KeptUnderVersion


def loader(values):
    calls = []

    def load():
        calls.append(1)
        return values[len(calls) - 1]

    return load, calls


def test_kept_while_the_version_holds_and_loaded_again_when_it_moves():
    kept = KeptUnderVersion(seconds=300)
    load, calls = loader(["first", "second", "third"])
    assert kept.get(7, load) == "first"
    assert kept.get(7, load) == "first"
    assert len(calls) == 1
    assert kept.get(8, load) == "second"  # a change renewed the version
    assert kept.get(7, load) == "third"  # a value is kept under one version only
    assert len(calls) == 3


def test_a_version_never_renewed_is_a_version_too():
    kept = KeptUnderVersion(seconds=300)
    load, calls = loader(["first", "second"])
    assert kept.get(None, load) == "first"
    assert kept.get(None, load) == "first"
    assert kept.get(5, load) == "second"
    assert len(calls) == 2


def test_a_caller_that_read_no_version_loads_every_time_and_keeps_nothing():
    kept = KeptUnderVersion(seconds=300)
    load, calls = loader(["first", "second", "third"])
    assert kept.get(UNREAD, load) == "first"
    assert kept.get(UNREAD, load) == "second"
    assert kept.get(1, load) == "third"
    assert kept.get(1, load) == "third"
    assert len(calls) == 3


def test_kept_no_longer_than_its_seconds_whatever_the_version(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(versioned.time, "monotonic", lambda: now[0])
    kept = KeptUnderVersion(seconds=300)
    load, calls = loader(["first", "second"])
    assert kept.get(3, load) == "first"
    now[0] += 299
    assert kept.get(3, load) == "first"
    now[0] += 1
    assert kept.get(3, load) == "second"
    assert len(calls) == 2
