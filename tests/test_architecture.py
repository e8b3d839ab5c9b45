"""Architecture rules as tests (STYLE §3.11): cheap, and they fail with the offending line."""

import ast
import inspect
import re
from pathlib import Path

import pytest

from prosocial.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "prosocial",
    "accounts",
    "campaigns",
    "creatives",
    "meta_integration",
    "publishing",
    "privacy",
]
TENANT_MODELS = ["Membership", "Invitation", "AuditEvent"]
# Modules allowed to talk HTTP/S3 directly: one client module per external system.
HTTP_CLIENT_MODULES = {
    "meta_integration/graph.py",
    "prosocial/safe_http.py",
    "prosocial/storage.py",
    "creatives/studio/ai/openai_provider.py",
}


def python_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_views_do_not_query_tenant_models_directly():
    offenders = [
        f"{rel(path)}:{n}: {line.strip()}"
        for path in ROOT.glob("*/views.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(rf"\b({'|'.join(TENANT_MODELS)})\.objects\b", line)
    ]
    assert offenders == [], "use a selector (get_<noun>_for_member) instead"


def test_only_client_modules_import_http_libraries():
    offenders = []
    for path in python_files():
        if rel(path) in HTTP_CLIENT_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{rel(path)}:{node.lineno}: {name}"
                for name in names
                if name.split(".")[0] in {"requests", "httpx", "boto3", "urllib3"}
            ]
    assert offenders == []


def test_meta_sandbox_imports_nothing_from_the_product():
    product = {*APPS, "django", "tests"}
    offenders = []
    for path in (ROOT / "meta_sandbox").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            module = (
                node.module
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                else None
            )
            if isinstance(node, ast.Import):
                offenders += [a.name for a in node.names if a.name.split(".")[0] in product]
            elif module and module.split(".")[0] in product:
                offenders.append(f"{rel(path)}: {module}")
    assert offenders == []


def _project_tasks():
    celery_app.loader.import_default_modules()  # autodiscovery is lazy
    return {name: task for name, task in celery_app.tasks.items() if name.split(".")[0] in APPS}


def test_tasks_exist():
    assert "prosocial.record_worker_heartbeat" in _project_tasks()


@pytest.mark.parametrize("name", sorted(_project_tasks()))
def test_tasks_take_only_ids(name):
    task = _project_tasks()[name]
    signature = inspect.signature(task.run)
    bad = {
        param: param_def.annotation
        for param, param_def in signature.parameters.items()
        if param_def.annotation not in (int, str)
    }
    assert bad == {}, "tasks take int/str ids only; load rows inside the service"
    assert (task.acks_late, task.reject_on_worker_lost) == (True, True), (
        "use prosocial.jobs.job_task"
    )


def test_enqueueing_happens_on_commit():
    """Every .delay()/.apply_async() sits inside a transaction.on_commit callback."""
    offenders = []
    for path in python_files():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.(delay|apply_async)\(", line) and "on_commit" not in line:
                offenders.append(f"{rel(path)}:{n}: {line.strip()}")
    assert offenders == []


def test_only_settings_reads_the_environment():
    offenders = [
        f"{rel(path)}:{n}"
        for path in python_files()
        if rel(path)
        not in {
            "prosocial/settings.py",
            "prosocial/celery.py",
            "prosocial/wsgi.py",
            "prosocial/asgi.py",
        }
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"os\.environ|os\.getenv|getenv\(", line)
    ]
    assert offenders == []
