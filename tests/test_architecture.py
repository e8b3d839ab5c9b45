"""Architecture rules as tests (STYLE §3.11): cheap, and they fail with the offending line."""

import ast
import inspect
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from prosocial.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent

# Which project apps each app may import (besides itself). Apps depend only downward:
#   prosocial ← accounts ← creatives.library ← campaigns ← creatives.studio ← creatives.editor
#   ← publishing ← inbox, insights
# meta_integration sits on accounts and is used by publishing; privacy reaches every other app
# only through the registries in prosocial (erasure, exporting, inventory, retention,
# policy_facts), so it imports nothing but accounts. ``creatives`` itself is only the package
# whose urls.py joins the library's and the studio's pages under one namespace.
ALLOWED_IMPORTS = {
    "prosocial": set(),
    "accounts": {"prosocial"},
    "creatives.library": {"prosocial", "accounts"},
    "campaigns": {"prosocial", "accounts", "creatives.library"},
    "creatives.studio": {"prosocial", "accounts", "creatives.library", "campaigns"},
    "creatives.editor": {"prosocial", "accounts", "creatives.library", "creatives.studio"},
    "meta_integration": {"prosocial", "accounts"},
    "publishing": {
        "prosocial",
        "accounts",
        "creatives.library",
        "campaigns",
        "creatives.studio",
        # A draft from a render (Publish… in the editor) reads the render's project and file.
        "creatives.editor",
        "meta_integration",
    },
    # The inbox builds on the Meta accounts and links threads to publications; DM replies
    # attach media-library images; its AI summaries and reply drafts use the studio's
    # providers, budget and call records.
    "inbox": {
        "prosocial",
        "accounts",
        "meta_integration",
        "publishing",
        "creatives.library",
        "creatives.studio",
    },
    # Results are read through the Meta accounts, for what publishing published, and compared
    # per campaign cohort and variant (the studio's scripts and creatives).
    "insights": {
        "prosocial",
        "accounts",
        "meta_integration",
        "publishing",
        "campaigns",
        "creatives.studio",
    },
    "privacy": {"prosocial", "accounts"},
    "creatives": {"creatives.library", "creatives.studio", "creatives.editor"},
    "meta_sandbox": set(),
}
# Longest names first, so creatives.library/… is not taken for the creatives package.
APP_PACKAGES = sorted(ALLOWED_IMPORTS, key=len, reverse=True)
APPS = [app for app in ALLOWED_IMPORTS if app != "meta_sandbox"]
# Modules allowed to talk HTTP/S3 directly: one client module per external system.
HTTP_CLIENT_MODULES = {
    "meta_integration/graph.py",
    "prosocial/safe_http.py",
    "prosocial/storage.py",
    "creatives/studio/ai/openai_provider.py",
}


def python_files():
    seen = set()
    for app in APPS:
        for path in (ROOT / app.replace(".", "/")).rglob("*.py"):
            if "migrations" not in path.parts and path not in seen:
                seen.add(path)
                yield path


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def app_of(module: str) -> str | None:
    return next(
        (app for app in APP_PACKAGES if module == app or module.startswith(f"{app}.")), None
    )


def imported_modules(path: Path):
    """Yield (line, module) for every absolute import, including ``from a import b`` as a.b."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def test_every_project_app_has_an_import_rule():
    installed = {
        config.name
        for config in apps.get_app_configs()
        if (ROOT / config.name.replace(".", "/") / "apps.py").exists()
    }
    assert installed - set(ALLOWED_IMPORTS) == set()


def test_apps_import_only_what_lies_below_them():
    offenders = []
    for path in [*python_files(), *(ROOT / "meta_sandbox").rglob("*.py")]:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        source = app_of(module)
        if source is None or module == "prosocial.urls":  # the root URLconf joins every app
            continue
        for line, imported in imported_modules(path):
            target = app_of(imported)
            if target and target != source and target not in ALLOWED_IMPORTS[source]:
                offenders.append(f"{rel(path)}:{line}: {source} imports {imported}")
    assert sorted(set(offenders)) == []


def _views(patterns=None):
    """Yield every view function the URLconf routes to."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern.callback


def view_modules() -> set[Path]:
    modules = set()
    for view in _views():
        module = inspect.getmodule(inspect.unwrap(view))
        path = Path(inspect.getfile(module)).resolve() if module else None
        if path and app_of(module.__name__) and ".venv" not in path.parts:
            modules.add(path)
    return modules


def test_the_view_rules_see_every_view_module():
    found = {rel(path) for path in view_modules()}
    # A sample that an older hand-written glob missed: these hold views too.
    assert {
        "creatives/studio/views.py",
        "creatives/library/media_urls.py",
        "privacy/centre.py",
        "privacy/pages.py",
    } <= found


def _points_at_workspace(model, seen=()) -> bool:
    """True when ``model`` belongs to a workspace: directly or through a parent's foreign key."""
    for field in model._meta.get_fields():
        target = getattr(field, "related_model", None)
        if not (field.many_to_one or field.one_to_one) or not field.concrete or target is None:
            continue
        if target._meta.label == "accounts.Workspace":
            return True
        if (
            target is not model
            and target not in seen
            and _points_at_workspace(target, (*seen, model))
        ):
            return True
    return False


def tenant_models() -> list[str]:
    return sorted(
        model.__name__
        for model in apps.get_models()
        if app_of(model.__module__) and _points_at_workspace(model)
    )


def test_tenant_models_come_from_the_registry():
    found = tenant_models()
    assert {"Membership", "Invitation", "AuditEvent", "Campaign", "MediaAsset"} <= set(found)
    assert {"Script", "ScriptVersion", "Publication", "MetaPage"} <= set(found)
    assert "User" not in found


def test_views_do_not_query_tenant_models_directly():
    pattern = re.compile(rf"\b({'|'.join(tenant_models())})\.objects\b")
    offenders = [
        f"{rel(path)}:{n}: {line.strip()}"
        for path in sorted(view_modules())
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
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
        if param_def.annotation not in (int, str, list[int])
    }
    assert bad == {}, (
        "tasks take int/str ids (or a list of int ids) only; load rows inside the service"
    )
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


def test_saves_name_the_fields_they_change():
    """A bare .save() writes every column, undoing a concurrent worker's update to another."""
    offenders = [
        f"{rel(path)}:{n}: {line.strip()}"
        for path in python_files()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.save\(\)", line)
    ]
    assert offenders == [], "pass update_fields=[...] (or create the row with .objects.create)"
