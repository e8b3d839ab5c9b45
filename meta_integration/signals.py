"""Signals other apps listen to (meta_integration imports none of them).

``connection_ready`` is sent, after commit, when a connection was (re)connected with a working
token: publishing resumes the publications that waited for it.
"""

from django.dispatch import Signal

connection_ready = Signal()  # sender=MetaConnection, connection_id=int
