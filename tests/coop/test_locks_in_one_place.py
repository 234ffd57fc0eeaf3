"""Services lock only through the lock helpers (docs/architecture.md, "Locks"), so the order in
which rows of different apps are locked is kept in one place."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELPERS = {"coop/locks.py", "coop/counters.py", "membership/locks.py", "governance/locks.py",
           "ledger/locks.py", "patronage/locks.py"}
INLINE_LOCK = re.compile(r"select_for_update\(|pg_(try_)?advisory")


def _app_modules():
    for app in ("coop", "membership", "governance", "ledger", "patronage"):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative and relative not in HELPERS:
                yield relative, path


@pytest.mark.parametrize(("relative", "path"), list(_app_modules()), ids=lambda v: str(v))
def test_no_inline_locks_outside_the_helpers(relative, path):
    hits = [f"{relative}:{n}: {line.strip()}"
            for n, line in enumerate(path.read_text().splitlines(), 1)
            if INLINE_LOCK.search(line)]
    assert not hits, ("lock through the app's locks.py helper instead (the order is in "
                      "docs/architecture.md, 'Locks'):\n" + "\n".join(hits))
