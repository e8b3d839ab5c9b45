"""The console log: a refused request is one line, and nothing is printed twice."""

import io
import logging

import pytest
from django.urls import reverse

from tests.conftest import client_for


@pytest.fixture
def console():
    """What LOGGING's console handler (the root's, the only one printing) writes."""
    handler = logging.getHandlerByName("console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def _request_lines(console):
    return [line for line in console.getvalue().splitlines() if " django.request " in line]


@pytest.mark.parametrize(
    ("case", "persona", "status", "message"),
    [
        (
            "viewer lacks the role",
            "viewer",
            403,
            "Forbidden (Permission denied): /w/acme/activity/",
        ),
        ("outsider", "outsider", 404, "Not Found: /w/acme/activity/"),
    ],
)
def test_a_refused_request_logs_one_line_without_a_traceback(
    cast, console, case, persona, status, message
):
    response = client_for(cast[persona]).get(reverse("accounts:activity", args=["acme"]))

    assert response.status_code == status
    lines = _request_lines(console)
    assert len(lines) == 1, console.getvalue()
    assert lines[0].endswith(f" WARNING django.request {message}")
    assert "Traceback" not in console.getvalue()


def test_an_unexpected_error_keeps_its_traceback(console):
    logger = logging.getLogger("django.request")
    try:
        raise ValueError("a bug")
    except ValueError:
        logger.exception("Internal Server Error: /x/")

    assert "Traceback" in console.getvalue()
    assert "ValueError: a bug" in console.getvalue()


def test_django_records_print_once():
    # Django's own console handler on "django" printed each record a second time.
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate
