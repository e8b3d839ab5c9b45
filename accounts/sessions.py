"""Signed-in sessions end: expired ones are purged with what was recorded about them.

A session row (Django's ``django_session``) and its allauth ``UserSession`` (IP address, user
agent, when it started) are kept only while the session can still be used: the privacy policy
says "until you sign out or the session expires". An hourly job removes the rest.
"""

from importlib import import_module

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone


@transaction.atomic
def purge_expired_sessions() -> dict[str, int]:
    """Delete expired sessions and every session record (IP, user agent) left without one."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    # The database engine, or one writing through to it (cached_db, prosocial.sessions with
    # Redis in front: prosocial/settings.py), holds every session.
    if issubclass(store, db.SessionStore):
        # cached_db's Redis copy of a session expires by itself when the session does.
        sessions = Session.objects.filter(expire_date__lt=timezone.now()).delete()[0]
        orphans = UserSession.objects.exclude(
            session_key__in=Session.objects.values("session_key")
        ).delete()[0]
        return {"sessions": sessions, "session_records": orphans}
    # Another engine keeps sessions elsewhere: let it expire its own, then ask per record.
    store.clear_expired()
    orphans = sum(1 for record in UserSession.objects.iterator() if record.purge())
    return {"sessions": 0, "session_records": orphans}
