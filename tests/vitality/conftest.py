"""Fixtures shared by the vitality test modules (plain helpers: factories.py)."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from tests.vitality import factories as f

JUNE = date(2026, 6, 1)


@pytest.fixture
def frozen():
    """The clock, frozen (no ticking); `frozen.move_to(...)` travels."""
    with time_machine.travel(datetime(2026, 7, 15, 9, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def scenario(db):
    """Six months of a small cooperative (the worked figures are in test_figures.py)."""
    workers, users = f.klass("workers"), f.klass("users")
    w = f.members(workers, date(2026, 1, 5), 10)
    u = f.members(users, date(2026, 1, 20), 5)
    new_workers = [f.member(workers, date(2026, 6, 10), referred_by=w[0]),
                   f.member(workers, date(2026, 6, 11)), f.member(workers, date(2026, 6, 12))]
    new_user = f.member(users, date(2026, 6, 2), referred_by=w[1])
    pending = f.member(users, date(2026, 6, 25), active=False)
    w[9].exited_on, w[9].status = date(2026, 6, 20), "exited"
    w[9].save(update_fields=["exited_on", "status"])
    april = f.vote(f.at(date(2026, 4, 15)), [(m, i < 5) for i, m in enumerate(w[:5])])
    june_1 = f.vote(f.at(date(2026, 6, 10)), [(m, i < 6) for i, m in enumerate(w)],
                    reminded=True, days_open=7)
    june_2 = f.vote(f.at(date(2026, 6, 20)), [(m, i < 1) for i, m in enumerate(u)],
                    outcome="no_quorum", days_open=3)
    f.vote(f.at(date(2026, 2, 1)), [], implementation="done", done_on=date(2026, 6, 11))
    f.vote(f.at(date(2026, 3, 3)), [], implementation="done", done_on=date(2026, 6, 10))
    f.answers(JUNE, list(zip(w[:7], [5, 4, 4, 3, 4, 5, 3], strict=True)), comment="Fine")
    f.answers(JUNE, list(zip(u[:2], [2, 1], strict=True)))
    f.heartbeats(datetime(2026, 6, 3, tzinfo=UTC), 4320)
    return {"workers": w, "users": u, "new_workers": new_workers, "new_user": new_user,
            "pending": pending, "votes": [april, june_1, june_2]}


@pytest.fixture
def history(scenario, frozen):
    """The scenario's months snapshotted by the monthly job (January to June final, July
    provisional)."""
    from vitality import services

    services.snapshots_catch_up()
    return scenario
