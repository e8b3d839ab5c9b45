"""Fail fast, with instructions, when the test suite's PostgreSQL or Redis is not there.

``make test`` runs the suite through ``scripts/test-services``, which uses ``--only`` to learn
which server does not answer and starts a private one in its place.
"""

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.utils import OperationalError

HOW_TO_START = """
`make test` starts private, throwaway servers when these do not answer. Running pytest
yourself, start the local servers:
  PostgreSQL:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
               (or: sudo systemctl start postgresql; or docker compose up -d postgres)
  Redis:       redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
               (or: sudo systemctl start redis-server; or docker compose up -d redis)
Or point DATABASE_URL / REDIS_URL at servers you already have."""


class Command(BaseCommand):
    help = "Check that the database is PostgreSQL and answers, and that Redis answers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only",
            choices=["postgresql", "redis"],
            help="Check this one service, and say only what is wrong with it.",
        )

    def handle(self, *args: object, **options: object) -> None:
        only = options["only"]
        problems = []
        if only in (None, "postgresql"):
            problems += self._postgresql_problems()
        if only in (None, "redis"):
            problems += self._redis_problems()
        if problems:
            raise CommandError("\n".join(problems) + ("" if only else "\n" + HOW_TO_START))
        if only:
            self.stdout.write(f"{'PostgreSQL' if only == 'postgresql' else 'Redis'} is up.")
        else:
            self.stdout.write("PostgreSQL and Redis are up.")

    def _postgresql_problems(self) -> list[str]:
        if connection.vendor != "postgresql":
            return [f"The tests run on PostgreSQL, but DATABASE_URL selects {connection.vendor}."]
        try:
            # The maintenance database, as test-database creation uses: the project's own
            # database need not exist (pytest creates test_<name>).
            with connection._nodb_cursor() as cursor:
                cursor.execute("SELECT 1")
        except OperationalError as exc:
            return [f"PostgreSQL is not reachable: {str(exc).strip().splitlines()[0]}"]
        return []

    def _redis_problems(self) -> list[str]:
        if not settings.REDIS_URL:
            return ["The tests need Redis, but REDIS_URL is not set."]
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            return [f"Redis is not reachable at {settings.REDIS_URL}: {exc}"]
        return []
