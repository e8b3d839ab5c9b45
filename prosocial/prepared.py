"""Statements PostgreSQL plans once per connection, for the queries every page runs.

Owns :func:`execute`, which runs a fixed SQL text (written once per process, values as ``%s``
parameters) as a server-side prepared statement: the first time on a connection as
``PREPARE name AS …; EXECUTE name(…)`` in one round trip, then as ``EXECUTE name(…)``;
:func:`converters` and :func:`converted`, which give the values read that way as the ORM
would; and :func:`spelled_out`, the statement an ``EXECUTE`` runs (for logs and tests).

Why: Django's psycopg cursors bind values on the client, so PostgreSQL plans every query
again. For the page-state query of ``prosocial.kept`` planning took longer than running it
(0.6 of 1.0 ms for the dashboard's ten sources; 0.5 ms prepared), and the membership query
every workspace page runs is the same kind (bench/README.md); so is a job's claim
(``prosocial.jobs``), which every publication runs once per task.

Invariants:
    - Both statements go through Django's cursor, so they are counted, logged and wrapped like
      any other query (one query each).
    - A statement's name is a digest of its text: another text can't reuse a name.
    - What was prepared is remembered per database connection object; a new connection
      prepares again. Prepared statements outlive transactions (a rollback keeps them).
    - Off PostgreSQL, or with ``PREPARED_STATEMENTS`` off (behind a transaction-mode pooler
      that doesn't keep prepared statements), the SQL runs as a plain query.
"""

import hashlib
import re
import weakref
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.backends.utils import CursorWrapper

_PREPARED: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()
_TEXTS: dict[str, str] = {}  # each name this process prepared: its SQL
_PLACEHOLDER = re.compile(r"%(s|%)")
_RUN = re.compile(
    r"(?:PREPARE (prosocial_[0-9a-f]+) AS .*; )?EXECUTE (prosocial_[0-9a-f]+)\b", re.S
)


def _numbered(sql: str) -> str:
    """Return ``sql`` with its ``%s`` as ``$1, $2, …`` (``%%`` stays for the client's pass)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(1) == "%":
            return "%%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def execute(cursor: CursorWrapper, sql: str, params: Sequence[Any]) -> None:
    """Run ``sql`` with ``params`` on ``cursor``, prepared once per connection where it can."""
    connection = cursor.db
    if connection.vendor != "postgresql" or not settings.PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    name = "prosocial_" + hashlib.sha256(sql.encode()).hexdigest()[:20]
    _TEXTS[name] = sql
    run = f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    prepared = _PREPARED.setdefault(connection.connection, set())
    if name in prepared:
        cursor.execute(run, params)
        return
    cursor.execute(f"PREPARE {name} AS {_numbered(sql)}; {run}", params)
    prepared.add(name)
    cursor.nextset()  # past PREPARE's status to EXECUTE's rows


# Column values read with SQL written once go through the converters the ORM would apply.
Converters = tuple[tuple[int, tuple[Any, ...], Any], ...]  # (column, converters, expression)


def converters(connection: Any, fields: Sequence[Any]) -> Converters:
    """Return the database converters the ORM would apply to each of ``fields``' columns."""
    found_all = []
    for index, field in enumerate(fields):
        expression = field.get_col(field.model._meta.db_table)
        found = [
            *connection.ops.get_db_converters(expression),
            *expression.get_db_converters(connection),
        ]
        if found:
            found_all.append((index, tuple(found), expression))
    return tuple(found_all)


def converted(row: Sequence[Any], converters: Converters, connection: Any) -> list[Any]:
    """Return ``row``'s values as the ORM would give them (``converters`` of its columns)."""
    values = list(row)
    for index, found, expression in converters:
        for converter in found:
            values[index] = converter(values[index], expression, connection)
    return values


def spelled_out(sql: str) -> str:
    """Return the statement ``sql`` (as sent) runs, for logs and tests.

    A prepared statement's own SQL for ``PREPARE …; EXECUTE name(…)`` and ``EXECUTE name(…)``,
    followed by ``-- (values)``; any other ``sql`` as it is.
    """
    run = _RUN.match(sql)
    if run is None or run.group(2) not in _TEXTS:
        return sql
    # The values it ran with, as the driver quoted them: "EXECUTE name(1, 'a')" → "(1, 'a')".
    return f"{_TEXTS[run.group(2)]} -- {sql[run.end() :].strip()}"
