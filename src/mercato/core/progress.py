"""How far a long job has got, as its progress bar shows it (the catalogue import, bulk
actions over orders)."""


def percent(done: int, total: int, *, finished: bool) -> int:
    """0–100; 100 only once the job has finished, so a bar never shows full while the last
    items are still being written."""
    if finished:
        return 100
    if not total:
        return 0
    return min(99, done * 100 // total)
