"""Every row of every table as stored, for scans that assert a secret appears nowhere."""

from django.db import connection


def dump_database() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            chunks.append(repr(cursor.fetchall()))
    return "\n".join(chunks)
