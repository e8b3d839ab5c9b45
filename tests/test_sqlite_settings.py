"""The embedded default's SQLite settings, as a real connection runs with them.

With no DATABASE_URL the web server, the worker and beat share one SQLite file; these settings
are what keep 20 users, an upload and a transcode free of "database is locked"
(bench/embedded_load.py measures it). The probe runs in a process of its own with the embedded
default's environment, as `make run` starts the product, so it reads prosocial/settings.py the
way they do, and asks SQLite itself, through Django's connection, what is in effect.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, sqlite3, threading, time
import django

django.setup()
from django.conf import settings
from django.db import connection, transaction

name = settings.DATABASES["default"]["NAME"]
out = {"engine": settings.DATABASES["default"]["ENGINE"], "name": name}
with connection.cursor() as cursor:
    for pragma in ("journal_mode", "synchronous", "busy_timeout"):
        cursor.execute(f"PRAGMA {pragma}")
        out[pragma] = cursor.fetchone()[0]
    cursor.execute("CREATE TABLE probe (n INTEGER)")

# Another process's connection, in autocommit, that does not wait for locks.
other = sqlite3.connect(name, timeout=0, isolation_level=None, check_same_thread=False)
out["other_journal_mode"] = other.execute("PRAGMA journal_mode").fetchone()[0]

# IMMEDIATE: a transaction that has only read already holds the write lock, so it can never
# fail to upgrade later (DEFERRED would let the other connection write here).
with transaction.atomic():
    connection.cursor().execute("SELECT count(*) FROM probe").fetchone()
    try:
        other.execute("INSERT INTO probe VALUES (1)")
        out["write_during_read_only_atomic"] = "written"
    except sqlite3.OperationalError as exc:
        out["write_during_read_only_atomic"] = str(exc)
other.execute("INSERT INTO probe VALUES (2)")

# WAL: a writer commits while another connection is in the middle of reading (a rollback
# journal would make the commit wait for the reader), and the reader keeps its snapshot.
other.execute("BEGIN")
out["reader_before"] = other.execute("SELECT count(*) FROM probe").fetchone()[0]
started = time.monotonic()
with transaction.atomic():
    connection.cursor().execute("INSERT INTO probe VALUES (3)")
out["commit_during_read_s"] = round(time.monotonic() - started, 2)
out["reader_after"] = other.execute("SELECT count(*) FROM probe").fetchone()[0]
other.execute("COMMIT")

# The busy timeout: a write waits for the other writer instead of failing at once.
other.execute("BEGIN IMMEDIATE")
threading.Timer(0.5, lambda: other.execute("COMMIT")).start()
started = time.monotonic()
with transaction.atomic():
    connection.cursor().execute("INSERT INTO probe VALUES (4)")
out["waited_for_writer_s"] = round(time.monotonic() - started, 2)
out["rows"] = sorted(r[0] for r in connection.cursor().execute("SELECT n FROM probe"))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {"DJANGO_SETTINGS_MODULE": "prosocial.settings", "PROSOCIAL_VAR_DIR": str(var_dir)}
    done = subprocess.run(  # noqa: S603 - our own probe
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return var_dir, json.loads(done.stdout.strip().splitlines()[-1])


def test_the_embedded_default_is_a_sqlite_file_in_the_var_dir(embedded):
    var_dir, out = embedded
    assert out["engine"] == "django.db.backends.sqlite3"
    assert Path(out["name"]) == var_dir / "prosocial.sqlite3"


def test_the_file_is_in_wal_mode_for_every_connection(embedded):
    _var_dir, out = embedded
    assert out["journal_mode"] == "wal"
    # WAL is a property of the file: a connection that set nothing (sqlite3's command line,
    # a backup tool) gets it too.
    assert out["other_journal_mode"] == "wal"


def test_a_writer_commits_while_another_connection_reads(embedded):
    _var_dir, out = embedded
    assert out["commit_during_read_s"] < 5  # a rollback journal would wait the 20 s and fail
    assert out["reader_before"] == out["reader_after"] == 1  # the reader's snapshot held


def test_commits_sync_at_checkpoints_only(embedded):
    _var_dir, out = embedded
    assert out["synchronous"] == 1  # NORMAL: safe in WAL mode, no fsync per commit


def test_transactions_take_the_write_lock_when_they_begin(embedded):
    _var_dir, out = embedded
    assert out["write_during_read_only_atomic"] == "database is locked"


def test_a_write_waits_for_the_other_writer_instead_of_failing(embedded):
    _var_dir, out = embedded
    assert out["busy_timeout"] == 20_000
    assert 0.3 <= out["waited_for_writer_s"] < 5
    assert out["rows"] == [2, 3, 4]
