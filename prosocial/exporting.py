"""The registry through which data exports reach every app's records and files.

Each app declares, in its own ``privacy.py``, what belongs in a person's export and in a
workspace's export, and registers it from AppConfig.ready(). An exporter returns an
``ExportPart``: named lists of JSON-ready records and the stored files (storage keys) to copy
into the archive. ``privacy.exports`` builds the zip; it never imports another app's models.

``serialize_rows`` turns model rows into plain dicts and leaves out every encrypted field (tokens
and secrets never leave the database) and any field an app names as private.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from prosocial.vault import EncryptedTextField

Record = dict[str, Any]


@dataclass
class ExportFile:
    """One stored file to copy into the archive at ``path``."""

    path: str
    storage_key: str
    size_bytes: int = 0


@dataclass
class ExportPart:
    records: dict[str, list[Record]] = field(default_factory=dict)
    files: list[ExportFile] = field(default_factory=list)


Exporter = Callable[[int], ExportPart]

_USER_EXPORTERS: dict[str, Exporter] = {}
_WORKSPACE_EXPORTERS: dict[str, Exporter] = {}


def register_user_exporter(name: str, exporter: Exporter) -> None:
    """Declare what an app puts in one person's export (called with the user id)."""
    _USER_EXPORTERS[name] = exporter


def register_workspace_exporter(name: str, exporter: Exporter) -> None:
    """Declare what an app puts in a workspace's export (called with the workspace id)."""
    _WORKSPACE_EXPORTERS[name] = exporter


def _collect(exporters: dict[str, Exporter], subject_id: int) -> ExportPart:
    merged = ExportPart()
    for name, exporter in sorted(exporters.items()):
        part = exporter(subject_id)
        for kind, records in part.records.items():
            merged.records.setdefault(f"{name}.{kind}", []).extend(records)
        merged.files.extend(part.files)
    return merged


def collect_user_export(user_id: int) -> ExportPart:
    return _collect(_USER_EXPORTERS, user_id)


def collect_workspace_export(workspace_id: int) -> ExportPart:
    return _collect(_WORKSPACE_EXPORTERS, workspace_id)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def serialize_rows(rows: Iterable[models.Model], *, exclude: Iterable[str] = ()) -> list[Record]:
    """Return rows as JSON-ready dicts, without encrypted fields or the ``exclude`` names.

    Foreign keys appear as ``<name>_id``.
    """
    excluded = set(exclude)
    records: list[Record] = []
    for row in rows:
        record: Record = {}
        for model_field in row._meta.concrete_fields:
            if isinstance(model_field, EncryptedTextField) or model_field.name in excluded:
                continue
            record[model_field.attname] = _json_value(getattr(row, model_field.attname))
        records.append(record)
    return records
