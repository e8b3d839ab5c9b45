"""Fail fast, with instructions, when the test suite's PostgreSQL or Redis is not there."""

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import OperationalError

HOW_TO_START = """
Start the local servers and run the tests again:
  PostgreSQL:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
               (or: sudo systemctl start postgresql; or docker compose up -d postgres)
  Redis:       redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
               (or: sudo systemctl start redis-server; or docker compose up -d redis)
Or point DATABASE_URL / REDIS_URL at servers you already have."""


class Command(BaseCommand):
    help = "Check that the database is PostgreSQL and answers, and that Redis answers."

    def handle(self, *args: object, **options: object) -> None:
        problems = []
        if connection.vendor != "postgresql":
            problems.append(
                f"The tests run on PostgreSQL, but DATABASE_URL selects {connection.vendor}."
            )
        else:
            try:
                # The maintenance database, as test-database creation uses: the project's own
                # database need not exist (pytest creates test_<name>).
                with connection._nodb_cursor() as cursor:
                    cursor.execute("SELECT 1")
            except OperationalError as exc:
                problems.append(f"PostgreSQL is not reachable: {str(exc).strip().splitlines()[0]}")
        if not settings.REDIS_URL:
            problems.append("The tests need Redis, but REDIS_URL is not set.")
        else:
            try:
                redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
            except redis.RedisError as exc:
                problems.append(f"Redis is not reachable at {settings.REDIS_URL}: {exc}")
        if problems:
            raise CommandError("\n".join(problems) + "\n" + HOW_TO_START)
        self.stdout.write("PostgreSQL and Redis are up.")
