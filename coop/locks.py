"""Row and advisory locks of the coop app; the order across apps is in docs/architecture.md,
section "Locks": a transaction that locks rows of several apps takes them in that order, and
rows of one model in primary-key order.

Other apps' helpers: `membership.locks`, `governance.locks`; counters: `coop.counters`.
"""

from django.contrib.auth import get_user_model
from django.db import connection

__all__ = ["advisory_xact_lock", "lock_audit_sealer", "lock_user"]


def advisory_xact_lock(space: int, key: int, *, shared: bool = False) -> None:
    """A PostgreSQL transaction-level advisory lock on (`space`, `key`), released at commit or
    rollback; `shared=True` for a lock many may hold at once, which waits for (and queues
    behind) an exclusive one. On SQLite a no-op: every writing transaction is IMMEDIATE there,
    which already serialises writers. Each `space` is one app's: see the "Locks" section."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s::int4, %s::int4)", [space, key % 2**31])


def lock_user(user_id: int):
    """The user row, locked until the transaction ends (a change compared with the stored row)."""
    return get_user_model().objects.select_for_update().get(pk=user_id)


def lock_audit_sealer() -> None:
    """The audit sealer's lock: one sealer at a time, and writers never take it. PostgreSQL: a
    transaction-level advisory lock on the single key 727001 (kept as it was, so a sealer of the
    previous release and one of this release exclude each other); SQLite: the IMMEDIATE
    transaction already holds the database's write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(727001)")
