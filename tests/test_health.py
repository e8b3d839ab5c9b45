import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.dateparse import parse_datetime

from prosocial.celery import app as celery_app
from prosocial.health import HEARTBEAT_CACHE_KEY
from prosocial.tasks import record_worker_heartbeat_task


def test_healthz_ok_when_database_and_broker_answer(db):
    response = Client().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("ok", "ok", "ok")
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_503_when_broker_is_down(db, monkeypatch):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")

    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"


def test_healthz_refuses_post(db):
    assert Client().post("/healthz").status_code == 405


@pytest.mark.worker
def test_real_worker_records_the_heartbeat(celery_worker_process):
    cache.delete(HEARTBEAT_CACHE_KEY)

    record_worker_heartbeat_task.delay()

    deadline = time.monotonic() + 20
    while cache.get(HEARTBEAT_CACHE_KEY) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert parse_datetime(cache.get(HEARTBEAT_CACHE_KEY)) is not None
    assert Client().get("/healthz").json()["worker_last_seen"] == cache.get(HEARTBEAT_CACHE_KEY)
