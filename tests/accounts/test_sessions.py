"""Expired sessions are purged with the IP address and user agent recorded for them."""

from datetime import timedelta

from allauth.usersessions.models import UserSession
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.sessions import purge_expired_sessions
from prosocial.celery import app


def _signed_in(user, *, expires_in: timedelta, ip: str) -> str:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() + expires_in)
    UserSession.objects.create(
        user=user, session_key=store.session_key, ip=ip, user_agent="Firefox on Linux"
    )
    return store.session_key


def test_expired_sessions_go_with_their_ip_and_user_agent(editor):
    stale = _signed_in(editor.user, expires_in=timedelta(minutes=-1), ip="198.51.100.7")
    live = _signed_in(editor.user, expires_in=timedelta(days=1), ip="203.0.113.9")

    counts = purge_expired_sessions()

    assert counts == {"sessions": 1, "session_records": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert list(UserSession.objects.values_list("session_key", "ip")) == [(live, "203.0.113.9")]
    assert not Session.objects.filter(pk=stale).exists()


def test_a_session_record_without_its_session_goes_too(editor):
    orphan = _signed_in(editor.user, expires_in=timedelta(days=1), ip="198.51.100.8")
    Session.objects.filter(pk=orphan).delete()  # signed out elsewhere, record left behind

    assert purge_expired_sessions() == {"sessions": 0, "session_records": 1}
    assert UserSession.objects.count() == 0


def test_the_purge_runs_every_hour():
    entry = next(
        e for e in app.conf.beat_schedule.values() if e["task"] == "accounts.purge_expired_sessions"
    )
    assert entry["schedule"] == 3600
