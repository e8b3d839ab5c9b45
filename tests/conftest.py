"""Shared fixtures: the cast of personas (STYLE §3.9) and test-wide hygiene.

``owner``, ``admin``, ``editor`` and ``viewer`` are memberships in ``workspace``;
``outsider`` owns ``other_workspace`` and belongs to nothing else.
"""

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Membership
from accounts.permissions import Role
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at production strength costs ~0.3 s per hash; tests don't need that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _loopback_test_servers(settings):
    """The tests' fake shops and CDNs listen on random loopback ports: allow every port there.

    Development's default allows only the sandbox's and the app's ports
    (tests/test_safe_http.py checks that default and the per-port allowlist).
    """
    settings.SAFE_HTTP_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the shared Redis cache; start every test without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tasks_inline():
    """Run Celery tasks in this process, for this test only (so their emails land in outbox).

    Notification emails leave from a task queued after commit (``accounts.services``); with
    ``django_capture_on_commit_callbacks(execute=True)`` this sends them at once.
    """
    from prosocial.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Acme Marketing", slug="acme")


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(name="Rival Co", slug="rival")


def _member(workspace, role, email) -> Membership:
    return MembershipFactory(workspace=workspace, role=role, user=UserFactory(email=email))


@pytest.fixture
def owner(workspace):
    return _member(workspace, Role.OWNER, "olivia.owner@example.com")


@pytest.fixture
def admin(workspace):
    return _member(workspace, Role.ADMIN, "adam.admin@example.com")


@pytest.fixture
def editor(workspace):
    return _member(workspace, Role.EDITOR, "eddie.editor@example.com")


@pytest.fixture
def viewer(workspace):
    return _member(workspace, Role.VIEWER, "vera.viewer@example.com")


@pytest.fixture
def outsider(other_workspace):
    return _member(other_workspace, Role.OWNER, "otto.outsider@example.com")


@pytest.fixture
def cast(owner, admin, editor, viewer, outsider):
    """Every persona, keyed by name (for parametrised tenancy tests)."""
    return {
        "owner": owner,
        "admin": admin,
        "editor": editor,
        "viewer": viewer,
        "outsider": outsider,
    }


def client_for(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def owner_client(owner):
    return client_for(owner)


@pytest.fixture
def admin_client_ws(admin):
    return client_for(admin)


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Return a function that starts a real Celery worker process; all are stopped after.

    Workers use the test database, Redis, keys and media folder, and reach Meta and our media
    at the URLs this process uses right now (the ``sandbox`` and ``live_server`` fixtures
    change them). ``transactional_db`` makes the test's rows visible to the worker.
    """
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.conf import settings as django_settings
    from django.db import connection

    from prosocial.jobs import QUEUES

    started = []

    def start(*, purge=True, **extra_env):
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": django_settings.REDIS_URL,
            # Same keys and media folder as this test process (tests may move MEDIA_ROOT).
            "SECRET_KEY": django_settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(django_settings.FIELD_ENCRYPTION_KEYS),
            "PROSOCIAL_VAR_DIR": str(Path(django_settings.MEDIA_ROOT).parent),
            "META_GRAPH_URL": django_settings.META_GRAPH_URL,
            "META_DIALOG_URL": django_settings.META_DIALOG_URL,
            "PUBLIC_BASE_URL": django_settings.PUBLIC_BASE_URL,
            # The tests' loopback servers on random ports (see _loopback_test_servers).
            "SAFE_HTTP_ALLOWED_HOSTS": ",".join(django_settings.SAFE_HTTP_ALLOWED_HOSTS),
            **{name: str(value) for name, value in extra_env.items()},
        }
        log = tmp_path / f"worker-{len(started)}.log"
        args = [sys.executable, "-m", "celery", "-A", "prosocial", "worker", "-Q", ",".join(QUEUES)]
        args += ["--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        # Tests on live servers commit, so their on_commit enqueues reach the broker with no
        # worker to take them; the first worker starts from an empty queue.
        args += ["--purge"] if purge else []
        process = subprocess.Popen(  # noqa: S603
            args,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        process.log = log
        started.append(process)
        deadline = time.monotonic() + 30
        while "ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"worker did not start:\n{log.read_text()}")
            time.sleep(0.2)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def celery_worker_process(start_worker):
    """One real Celery worker process for the test."""
    return start_worker()


@pytest.fixture(scope="session")
def sandbox_server():
    """One meta_sandbox server (real HTTP on 127.0.0.1) for the whole test session."""
    from django.conf import settings as django_settings

    from meta_sandbox.testing import start_server

    server = start_server(
        port=0, app_id=django_settings.META_APP_ID, app_secret=django_settings.META_APP_SECRET
    )
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, settings):
    """The sandbox, freshly seeded, with the product's Graph and dialog URLs pointing at it."""
    sandbox_server.state.reset()
    settings.META_GRAPH_URL = sandbox_server.url
    settings.META_DIALOG_URL = sandbox_server.url
    return sandbox_server
