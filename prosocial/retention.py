"""The registry of retention rules: what each app removes once it is older than its period.

Each app declares, in its own ``privacy.py`` (registered from AppConfig.ready()), the kinds of
rows it keeps for a limited time. A rule names the workspace setting that holds its period and
returns the expired rows of one workspace; ``privacy.retention`` runs every rule nightly (and as
a dry run in the UI), removes what is expired and writes an audit event per kind.

Periods are per workspace (``privacy.RetentionSettings``); the field named by ``period_field``
holds a number of days.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.functional import Promise

ExpiredRows = Callable[[int, datetime], QuerySet]
RemoveRows = Callable[[QuerySet], int]


def delete_rows(rows: QuerySet) -> int:
    """Delete expired rows (the default removal); return how many top-level rows."""
    count = rows.count()
    rows.delete()
    return count


@dataclass(frozen=True)
class RetentionRule:
    """One kind of data kept for a limited time.

    ``expired(workspace_id, cutoff)`` returns that workspace's rows older than ``cutoff``;
    ``remove(rows)`` removes them (also files, remote copies...) and returns how many.
    """

    name: str
    label: str | Promise
    period_field: str
    expired: ExpiredRows
    remove: RemoveRows = delete_rows


@dataclass(frozen=True)
class SiteRetentionRule:
    """Data not tied to one workspace, kept for a site-wide period (a setting, in days)."""

    name: str
    label: str | Promise
    days_setting: str
    expired: Callable[[datetime], QuerySet]
    remove: RemoveRows = delete_rows


_RULES: dict[str, RetentionRule] = {}
_SITE_RULES: dict[str, SiteRetentionRule] = {}


def register_retention_rule(rule: RetentionRule) -> None:
    _RULES[rule.name] = rule


def retention_rules() -> list[RetentionRule]:
    return [_RULES[name] for name in sorted(_RULES)]


def register_site_retention_rule(rule: SiteRetentionRule) -> None:
    _SITE_RULES[rule.name] = rule


def site_retention_rules() -> list[SiteRetentionRule]:
    return [_SITE_RULES[name] for name in sorted(_SITE_RULES)]
