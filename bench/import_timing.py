"""Time the CSV register import on a generated file (issue #7: the import writes through the
services; this measures what that costs).

    createdb -h 127.0.0.1 -U postgres coop_import_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_import_bench \
        .venv/bin/python manage.py migrate
    DEBUG=false SECRET_KEY=x ALLOWED_HOSTS=localhost \
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_import_bench \
        .venv/bin/python bench/import_timing.py 3000

The import runs in a transaction that is rolled back, so the database can be reused.
"""

import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from coop.actors import IMPORT_REGISTER  # noqa: E402
from membership import importer, services  # noqa: E402
from membership.models import StakeholderClass  # noqa: E402

HEADER = ("member_number,name,email,class,shares_subscribed,joined_on,status,payments,"
          "certificates,exited_on,referred_by")


def generate(rows: int, seed: int = 7) -> str:
    """Members of one class (50.00 a share, 2..20 shares): a third paid in full, a third in
    instalments, some awaiting payment, a tenth exited; some referred by an earlier member."""
    rng = random.Random(seed)
    lines = [HEADER]
    certificate = 0
    start = date(2015, 1, 1)
    for number in range(1, rows + 1):
        shares = rng.randint(2, 6)
        joined = start + timedelta(days=rng.randint(0, 3000))
        kind = rng.random()
        # Some below the buy-in of 2.
        paid_shares = 1 if kind < 0.15 else rng.randint(2, shares)
        if kind < 0.5:
            payments = [(joined + timedelta(days=3), paid_shares * 5000)]
        else:
            first = paid_shares // 2 or 1
            payments = [(joined + timedelta(days=3), first * 5000)]
            if paid_shares - first:
                payments.append((joined + timedelta(days=40), (paid_shares - first) * 5000))
        certificates = f"{certificate + 1}-{certificate + paid_shares}"
        certificate += paid_shares
        exited = rng.random() < 0.1 and paid_shares >= 2
        status = "exited" if exited else ("active" if paid_shares >= 2 else "awaiting_payment")
        exited_on = (joined + timedelta(days=400)).isoformat() if exited else ""
        referred = str(rng.randint(1, number - 1)) if number > 1 and rng.random() < 0.2 else ""
        pay = ";".join(f"{d.isoformat()}:{a}" for d, a in payments)
        lines.append(f"{number},Member {number},m{number}@example.org,bench,{shares},"
                     f"{joined.isoformat()},{status},\"{pay}\",{certificates},{exited_on},"
                     f"{referred}")
    return "\n".join(lines) + "\n"


class Rollback(Exception):
    pass


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    text = generate(rows)
    try:
        with transaction.atomic():
            if not StakeholderClass.objects.filter(slug="bench").exists():
                services.stakeholder_class_create(
                    slug="bench", name="Bench", share_price_minor=5000, min_shares=2,
                    max_shares=20, patronage_measure="n/a")
            started = time.perf_counter()
            preview = importer.validate(text)
            validated = time.perf_counter()
            assert preview.ok, preview.error_lines()[:5]
            queries = []

            def count(execute, sql, params, many, context):
                queries.append(1)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                result = importer.register_import(text=text, actor=IMPORT_REGISTER)
            done = time.perf_counter()
            raise Rollback
    except Rollback:
        pass
    print(f"{rows} rows: validate {validated - started:.2f}s, import {done - validated:.2f}s, "
          f"{len(queries)} queries; {result}")


if __name__ == "__main__":
    main()
