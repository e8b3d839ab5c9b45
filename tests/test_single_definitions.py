"""One definition per policy (issue #12): each rule is written once and every caller uses it.

- the public-address policy lives in ``prosocial/safe_http.py`` (fetcher and URL signer);
- the media library has one ``MediaError`` and every media failure is a kind of it;
- a Graph quota or rate limit is recognised by ``GraphError.kind``, never by raw codes;
- Meta's vocabulary (objectives, calls to action, ad categories, ad set settings) is spelled
  only in ``campaigns/meta_vocabulary.py``.

Each check reads the product's source (not ``meta_sandbox``, which plays Meta and keeps its own
copy on purpose, nor tests or migrations) and fails with the offending lines.
"""

import ast
from pathlib import Path

from campaigns import meta_vocabulary
from campaigns.models import Campaign
from creatives.library.errors import MediaError
from creatives.library.media.errors import FfmpegError, MediaRejected
from creatives.studio.compose.errors import ComposeError
from prosocial.errors import UserFacingError
from publishing.models import Publication

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = (
    "accounts",
    "campaigns",
    "creatives",
    "meta_integration",
    "privacy",
    "prosocial",
    "publishing",
)


def product_modules() -> dict[str, ast.Module]:
    """Return every product module's syntax tree, keyed by its path from the repository root."""
    trees = {}
    for package in PRODUCT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                name = path.relative_to(ROOT).as_posix()
                trees[name] = ast.parse(path.read_text(encoding="utf-8"), filename=name)
    return trees


def found_outside(owner: str, matches) -> list[str]:
    """Return ``path:line: what`` for every match in a module other than ``owner``."""
    return [
        f"{name}:{node.lineno}: {what}"
        for name, tree in product_modules().items()
        if name != owner
        for node in ast.walk(tree)
        if (what := matches(node))
    ]


# --- the public-address policy ---------------------------------------------------------------

ADDRESS_CLASSIFIERS = {
    "is_global",
    "is_private",
    "is_loopback",
    "is_link_local",
    "is_multicast",
    "is_reserved",
    "is_unspecified",
    "is_site_local",
    "ipv4_mapped",
}
NETWORK_BUILDERS = {"ip_network", "IPv4Network", "IPv6Network"}


def _address_rule(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and node.attr in ADDRESS_CLASSIFIERS | NETWORK_BUILDERS:
        return f".{node.attr}"
    if isinstance(node, ast.ImportFrom) and node.module == "ipaddress":
        names = {alias.name for alias in node.names} & (NETWORK_BUILDERS | ADDRESS_CLASSIFIERS)
        return f"from ipaddress import {', '.join(sorted(names))}" if names else None
    return None


def test_only_safe_http_decides_whether_an_address_is_public():
    assert found_outside("prosocial/safe_http.py", _address_rule) == []


# --- one MediaError --------------------------------------------------------------------------


def _media_error_class(node: ast.AST) -> str | None:
    if isinstance(node, ast.ClassDef) and node.name == "MediaError":
        return "class MediaError"
    return None


def test_media_error_is_defined_once():
    assert found_outside("creatives/library/errors.py", _media_error_class) == []


def test_every_media_failure_is_a_media_error_with_a_code():
    assert issubclass(MediaError, UserFacingError)
    for kind in (MediaRejected, FfmpegError, ComposeError):
        assert issubclass(kind, MediaError), kind
    refused = MediaError("This file isn't ready yet.")
    assert (refused.message, refused.code) == ("This file isn't ready yet.", "refused")
    assert MediaRejected("Empty.", code="empty").code == "empty"
    assert FfmpegError("ffmpeg failed.").code == "failed"


# --- quota and rate limits are kinds of GraphError -------------------------------------------

GRAPH_CODE_SETS = {
    "QUOTA_CODES",
    "IG_QUOTA_SUBCODES",
    "THROTTLE_CODES",
    "BUC_THROTTLE_CODES",
}
# Meta's rate-limit and quota codes and subcodes (GRAPH_NOTES §5.2, §2.9).
LIMIT_CODES = {4, 9, 17, 32, 341, 613, 2207042, *range(80000, 80015)}
ERROR_FIELDS = {"code", "subcode", "error_code", "error_subcode"}


def _raw_limit_test(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name | ast.Attribute):
        name = node.id if isinstance(node, ast.Name) else node.attr
        return name if name in GRAPH_CODE_SETS else None
    if not isinstance(node, ast.Compare):
        return None
    sides = [node.left, *node.comparators]
    tests_a_code = any(
        isinstance(side, ast.Attribute) and side.attr in ERROR_FIELDS for side in sides
    )
    numbers = {
        constant.value
        for side in sides
        for constant in ast.walk(side)
        if isinstance(constant, ast.Constant) and isinstance(constant.value, int)
    }
    return ast.unparse(node) if tests_a_code and numbers & LIMIT_CODES else None


def test_quota_and_rate_limits_are_tested_by_kind_not_by_code():
    assert found_outside("meta_integration/graph.py", _raw_limit_test) == []


# --- Meta's vocabulary -----------------------------------------------------------------------

VOCABULARY = {
    *meta_vocabulary.Objective.values,
    *meta_vocabulary.CallToAction.values,
    *meta_vocabulary.SpecialAdCategory.values,
    *meta_vocabulary.OPTIMIZATION_GOALS.values(),
    meta_vocabulary.BILLING_EVENT,
    meta_vocabulary.BID_STRATEGY,
    meta_vocabulary.NO_SPECIAL_AD_CATEGORY,
}


def _vocabulary_literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and node.value in VOCABULARY:
        return repr(node.value)
    return None


def test_metas_vocabulary_is_spelled_only_in_its_module():
    assert found_outside("campaigns/meta_vocabulary.py", _vocabulary_literal) == []


def test_model_choices_come_from_the_vocabulary():
    def choices(model, field):
        return [(value, str(label)) for value, label in model._meta.get_field(field).choices]

    assert choices(Campaign, "objective") == [
        (o.value, str(o.label)) for o in meta_vocabulary.Objective
    ]
    assert choices(Campaign, "call_to_action") == [
        (c.value, str(c.label)) for c in meta_vocabulary.CallToAction
    ]
    assert choices(Publication, "cta_type") == choices(Campaign, "call_to_action")
    assert choices(Publication, "objective") == [
        (value, str(label)) for value, label in meta_vocabulary.AD_OBJECTIVE_CHOICES
    ]
    # Every objective the ad form offers has its goal; Sales and Leads also say what they need.
    offered = {value for value, _label in meta_vocabulary.AD_OBJECTIVE_CHOICES}
    assert set(meta_vocabulary.OPTIMIZATION_GOALS) == offered
    assert set(meta_vocabulary.OBJECTIVE_NEEDS) == {
        meta_vocabulary.Objective.SALES,
        meta_vocabulary.Objective.LEADS,
    }
