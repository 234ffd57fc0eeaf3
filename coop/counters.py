"""Gap-free number sequences: member numbers, certificate numbers, later journal entry numbers.

A number is taken inside the caller's transaction under the counter row's lock, which is held
until that transaction ends: concurrent callers queue, and a rolled-back caller gives its
numbers back, so a sequence never repeats or skips a number. Counters are the last rows any
transaction locks (docs/architecture.md, "Locks").
"""

from django.db import transaction

from .models import Counter

__all__ = ["counter_take", "lock_counters"]


def counter_take(*, name: str, count: int = 1) -> list[int]:
    """The next `count` numbers of a gap-free sequence. Holds the counter's row lock until the
    caller's transaction ends, so concurrent callers never share or skip a number."""
    if count <= 0:
        return []
    Counter.objects.get_or_create(name=name)
    counter = Counter.objects.select_for_update().get(name=name)
    first = counter.last_value + 1
    counter.last_value += count
    counter.save(update_fields=["last_value"])
    return list(range(first, counter.last_value + 1))


def lock_counters(names: list[str]) -> dict[str, Counter]:
    """Lock the named counters (created at 0 if missing), in primary-key order, until the
    transaction ends; for a job that writes numbers itself (the register import) and must not
    interleave with `counter_take`."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_counters() must run inside a transaction")
    for name in sorted(names):
        Counter.objects.get_or_create(name=name)
    return {c.name: c for c in Counter.objects.select_for_update().order_by("pk")
            .filter(name__in=names)}
