"""coop.counters: gap-free sequences, and the migration that moved them from membership."""

import threading

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from coop.counters import counter_take, lock_counters
from coop.models import Counter


@pytest.mark.django_db
def test_numbers_follow_each_other_per_sequence():
    assert counter_take(name="member_number") == [1]
    assert counter_take(name="member_number", count=3) == [2, 3, 4]
    assert counter_take(name="journal_entry", count=2) == [1, 2]
    assert counter_take(name="member_number", count=0) == []
    assert dict(Counter.objects.values_list("name", "last_value")) == {
        "member_number": 4, "journal_entry": 2}


@pytest.mark.django_db
def test_a_rolled_back_transaction_gives_its_numbers_back():
    counter_take(name="certificate_number", count=2)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert counter_take(name="certificate_number") == [3]
        raise RuntimeError("the caller fails after taking a number")
    assert counter_take(name="certificate_number") == [3]


@pytest.mark.django_db
def test_lock_counters_creates_missing_ones_at_zero():
    counter_take(name="member_number", count=5)
    with transaction.atomic():
        locked = lock_counters(["member_number", "certificate_number"])
    assert {name: c.last_value for name, c in locked.items()} == {
        "member_number": 5, "certificate_number": 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_takers_never_share_or_skip_a_number():
    takers, per_taker = 8, 5
    barrier = threading.Barrier(takers)
    taken, errors = [], []

    def take():
        try:
            barrier.wait(timeout=10)
            for _ in range(per_taker):
                with transaction.atomic():
                    taken.extend(counter_take(name="journal_entry"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(taken) == list(range(1, takers * per_taker + 1))


# --- the move from membership to coop keeps every row ----------------------------------------

BEFORE = [("membership", "0002_register_append_only")]
AFTER = [("membership", "0003_counter_moves_to_coop")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_every_counter_and_back():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    OldCounter = old_apps.get_model("membership", "Counter")
    OldCounter.objects.bulk_create([OldCounter(name="member_number", last_value=1234),
                                    OldCounter(name="certificate_number", last_value=98765),
                                    OldCounter(name="untouched", last_value=0)])
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        assert dict(Counter.objects.values_list("name", "last_value")) == {
            "member_number": 1234, "certificate_number": 98765, "untouched": 0}
        assert "membership_counter" not in connection.introspection.table_names()
        # and backwards: the rows go home again
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        assert dict(OldCounter.objects.values_list("name", "last_value")) == {
            "member_number": 1234, "certificate_number": 98765, "untouched": 0}
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM coop_counter")
            assert cursor.fetchone() == (0,)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    with transaction.atomic():
        assert counter_take(name="member_number") == [1235]
