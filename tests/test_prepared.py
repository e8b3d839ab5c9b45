"""``prosocial.prepared``: the page-state and membership queries planned once per connection."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prosocial import prepared

pytestmark = pytest.mark.django_db


def _run(sql, params):
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall()


def test_the_first_run_prepares_and_later_runs_execute_each_one_query():
    sql = "SELECT %s::int + 1, 'a%%b', %s::text"
    with CaptureQueriesContext(connection) as first:
        assert _run(sql, [1, "x"]) == [(2, "a%b", "x")]
    with CaptureQueriesContext(connection) as later:
        assert _run(sql, [41, "it's"]) == [(42, "a%b", "it's")]

    assert len(first) == len(later) == 1
    assert first[0]["sql"].startswith("PREPARE prosocial_")
    assert later[0]["sql"].startswith("EXECUTE prosocial_")
    assert "'it''s'" in later[0]["sql"]  # values are quoted by the driver, not pasted


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    sql = "SELECT %s::int * 2"
    assert _run(sql, [2]) == [(4,)]
    connection.close()  # also what conn_max_age does when a connection gets old

    with CaptureQueriesContext(connection) as after:
        assert _run(sql, [3]) == [(6,)]

    assert after[0]["sql"].startswith("PREPARE")


def test_without_prepared_statements_the_sql_runs_as_it_is(settings):
    settings.PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as plain:
        assert _run("SELECT %s::int - 1", [10]) == [(9,)]

    assert plain[0]["sql"].startswith("SELECT")


def test_a_rolled_back_transaction_keeps_what_was_prepared():
    from django.db import transaction

    sql = "SELECT %s::int + 100"
    sid = transaction.savepoint_create()
    assert _run(sql, [1]) == [(101,)]
    transaction.savepoint_rollback(sid)

    with CaptureQueriesContext(connection) as again:
        assert _run(sql, [2]) == [(102,)]
    assert again[0]["sql"].startswith("EXECUTE")


def test_a_prepared_statement_is_spelled_out_with_its_values():
    sql = "SELECT %s::int - 1, %s::text"
    with CaptureQueriesContext(connection) as runs:
        _run(sql, [5, "first"])
        _run(sql, [8, "it's"])

    first, later = (prepared.spelled_out(q["sql"]) for q in runs.captured_queries)
    assert first.startswith(sql + " -- (5, 'first')")
    assert later == sql + " -- (8, 'it''s')"
    assert prepared.spelled_out("SELECT 1") == "SELECT 1"
