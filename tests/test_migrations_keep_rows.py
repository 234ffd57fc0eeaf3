"""The migrations of this round keep every row of a real cooperative's data (issue #7).

The data is the demo cooperative as the code before this round seeds it: that code is taken from
git (BASE), migrated and seeded into a scratch database, then today's migrations run over it and
every table is counted again. Tables that moved are compared with their new home, and the moved
rows are compared field by field.

On SQLite always (the embedded default); on PostgreSQL too when the suite runs there (production).
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The last commit before this round's migrations (governance 0004, membership 0002, coop 0002).
BASE = "83972fb"
# Tables that moved in this round: old name -> new name.
MOVED = {
    "governance_notification": "coop_notice",
    "membership_counter": "coop_counter",
}
# Django's own bookkeeping, which gains rows for the new migrations and models; and the
# categories, which gain `policy` (governance 0007, issue #8 item 17).
GROWS = {"django_migrations", "django_content_type", "auth_permission", "governance_category"}
# Old notification kinds -> the notice kinds they became.
KIND = {k: f"governance.{k}" for k in ("vote_opened", "reminder", "result", "comment")}


def _old_code(tmp_path: Path) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the project's git history (a clone, not an export)")
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{BASE}^{{commit}}"],
                           capture_output=True)
    if found.returncode != 0:
        pytest.skip(f"commit {BASE} is not in this clone (a shallow clone?)")
    archive = tmp_path / "base.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), BASE], check=True)
    code = tmp_path / "base"
    with tarfile.open(archive) as tar:
        tar.extractall(code, filter="data")
    return code


def _manage(code: Path, env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=code, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    return result.stdout


def _env(tmp_path: Path, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "TESTING"}}
    env.update(VAR_DIR=str(tmp_path / "var"), SQLITE_PATH=str(tmp_path / "var" / "coop.sqlite3"),
               CELERY_TASK_ALWAYS_EAGER="true", TESTING="true")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


class SQLiteDB:
    def __init__(self, path: Path):
        self.path = path

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.path) as con:
            return con.execute(sql).fetchall()

    def tables(self) -> list[str]:
        return [r[0] for r in self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]


class PostgresDB:
    def __init__(self, url: str):
        self.url = url

    def query(self, sql: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url) as con:
            return con.execute(sql).fetchall()

    def tables(self) -> list[str]:
        return [r[0] for r in self.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


def _counts(db) -> dict[str, int]:
    return {t: db.query(f'SELECT COUNT(*) FROM "{t}"')[0][0] for t in db.tables()}  # noqa: S608


def _check_every_row_survives(db, migrate):
    before = _counts(db)
    old_notifications = db.query(
        "SELECT member_id, proposal_id, kind, read_at IS NOT NULL, emailed_at IS NOT NULL "
        "FROM governance_notification WHERE kind <> 'comment'")
    old_counters = sorted(db.query("SELECT name, last_value FROM membership_counter"))
    assert before["membership_member"] > 300 and before["governance_notification"] > 0

    migrate()

    after = _counts(db)
    for table, count in before.items():
        new_table = MOVED.get(table, table)
        assert new_table in after, f"{table} is gone and its {count} rows with it"
        if table in GROWS or table == "membership_counter":
            # coop_counter also gains the ledger's journal_entry counter (checked below).
            assert after[new_table] >= count, f"{table}: {count} rows before, {after[new_table]}"
        else:
            assert after[new_table] == count, f"{table}: {count} rows before, {after[new_table]}"

    # The moved rows, field by field.
    member_type = db.query("SELECT id FROM django_content_type "
                           "WHERE app_label = 'membership' AND model = 'member'")[0][0]
    proposal_type = db.query("SELECT id FROM django_content_type "
                             "WHERE app_label = 'governance' AND model = 'proposal'")[0][0]
    notices = db.query(
        "SELECT recipient_id, target_id, kind, read_at IS NOT NULL, emailed_at IS NOT NULL "
        f"FROM coop_notice WHERE recipient_type_id = {member_type} "  # noqa: S608
        f"AND target_type_id = {proposal_type} AND kind <> 'governance.comment'")
    assert sorted(notices) == sorted(
        (m, p, KIND[k], bool(r), bool(e)) for m, p, k, r, e in old_notifications)
    # The ledger's history migration (ledger 0006) posts the old payments, numbering its
    # entries with a counter of its own: one more row, as many as the entries.
    counters = dict(db.query("SELECT name, last_value FROM coop_counter"))
    entries = db.query("SELECT COUNT(*) FROM ledger_journalentry")[0][0]
    assert entries > 0 and counters.pop("journal_entry") == entries
    assert sorted(counters.items()) == old_counters
    assert db.query("SELECT COUNT(*) FROM ledger_journalentry WHERE kind = 'share_payment'") == [
        (db.query("SELECT COUNT(*) FROM membership_sharepayment WHERE kind = 'payment'")[0][0],)]


def test_the_demo_data_on_sqlite_keeps_every_row(tmp_path):
    code = _old_code(tmp_path)
    env = _env(tmp_path, None)
    _manage(code, env, "migrate", "--noinput", "-v0")
    _manage(code, env, "seed_demo")

    _check_every_row_survives(SQLiteDB(Path(env["SQLITE_PATH"])),
                              lambda: _manage(ROOT, env, "migrate", "--noinput", "-v0"))


@pytest.mark.postgres
def test_the_demo_data_on_postgresql_keeps_every_row(tmp_path):
    import psycopg

    code = _old_code(tmp_path)
    parts = urlsplit(os.environ["DATABASE_URL"])
    name = f"coop_migrations_{uuid.uuid4().hex[:8]}"
    scratch = urlunsplit(parts._replace(path=f"/{name}"))
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        env = _env(tmp_path, scratch)
        _manage(code, env, "migrate", "--noinput", "-v0")
        _manage(code, env, "seed_demo")
        _check_every_row_survives(PostgresDB(scratch),
                                  lambda: _manage(ROOT, env, "migrate", "--noinput", "-v0"))
    finally:
        with psycopg.connect(maintenance, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
