"""Templates ask the permission matrix (``membership|can:"x"``), never compare role names.

Three layers: the ``can`` filter itself for every role, a scan of every template file so a
role comparison can't come back, and rendered pages showing each persona exactly the buttons
its role may use (the matrix decides the expectation, so a matrix change moves both).
"""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse

from accounts.permissions import PERMISSIONS, Role, has_permission
from accounts.templatetags.permissions import UnknownPermissionError, can
from campaigns.models import Campaign
from tests.conftest import client_for
from tests.factories import MembershipFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# {% if … %} and {% elif … %}: tags never span lines in Django templates.
IF_TAG = re.compile(r"\{%\s*(?:el)?if\b(?P<condition>.*?)%\}")
ROLE_NAMES = "|".join(role.value for role in Role)
ROLE_COMPARISONS = {
    # 'owner', "Admin", 'owner admin': a role name spelled out in a condition.
    "role name literal": re.compile(rf"""["'][^"']*\b({ROLE_NAMES})\b[^"']*["']""", re.I),
    # The person's own role in a condition, whatever it is compared with.
    "own role": re.compile(r"\b\w*membership\.(role|get_role_display)\b"),
    # Role flags that bypass the matrix.
    "role flag": re.compile(rf"\bis_({ROLE_NAMES}|manager|creator)s?\b"),
}
CAN_CALL = re.compile(r"\|\s*can\s*:\s*(?P<arg>\"[^\"]*\"|'[^']*'|[^\s%}|]+)")


def template_files():
    return sorted(path for path in TEMPLATES.rglob("*") if path.is_file())


def role_comparisons(text: str) -> list[str]:
    return [
        f"{n}: {kind}: {match.group(0)}"
        for n, line in enumerate(text.splitlines(), 1)
        for match in IF_TAG.finditer(line)
        for kind, pattern in ROLE_COMPARISONS.items()
        if pattern.search(match.group("condition"))
    ]


def render(source: str, **context) -> str:
    return Template("{% load permissions %}" + source).render(Context(context))


# --- The filter -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", sorted(PERMISSIONS))
def test_can_answers_from_the_matrix_for_every_role(workspace, role, action):
    membership = MembershipFactory(workspace=workspace, role=role)

    assert can(membership, action) is has_permission(role, action)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.OWNER, "edit"),
        (Role.ADMIN, "edit"),
        (Role.EDITOR, "edit"),
        (Role.VIEWER, "read-only"),
    ],
)
def test_can_in_an_if_tag(workspace, role, expected):
    membership = MembershipFactory(workspace=workspace, role=role)

    html = render(
        '{% if membership|can:"content.edit" %}edit{% else %}read-only{% endif %}',
        membership=membership,
    )

    assert html == expected


@pytest.mark.parametrize("membership", [None, ""], ids=["none", "missing-variable"])
def test_no_membership_may_do_nothing(membership):
    assert can(membership, "workspace.view") is False


def test_unknown_permission_raises_with_the_known_names(owner):
    with pytest.raises(UnknownPermissionError, match=r"'content.edti'.*content\.edit"):
        can(owner, "content.edti")


def test_unknown_permission_raises_without_a_membership_too():
    with pytest.raises(UnknownPermissionError):
        can(None, "content.edti")


def test_unknown_permission_raises_while_rendering(owner):
    with pytest.raises(UnknownPermissionError):
        render('{% if membership|can:"campaigns.edit" %}x{% endif %}', membership=owner)


# --- Every template ---------------------------------------------------------------------------


def test_the_scan_sees_the_templates():
    names = {path.relative_to(TEMPLATES).as_posix() for path in template_files()}
    assert {"layouts/app.html", "accounts/members.html", "privacy/workspace.html"} <= names


@pytest.mark.parametrize(
    "line",
    [
        "{% if membership.role == 'owner' or membership.role == 'admin' %}",
        "{% if current_membership.role == 'owner' %}",
        "{% if membership.role != 'viewer' %}",
        "{% elif membership.role != 'viewer' and not ok %}",
        "{% if not asset.is_available or membership.role != 'owner' %} disabled{% endif %}",
        '{% if membership.role in "owner,admin" %}',
        '{% if membership.get_role_display == "Owner" %}',
        "{% if request.membership.role == manager_role %}",
        "{% if role == 'editor' %}",
        "{% if membership.is_owner %}",
        "{% if user.is_admin %}",
    ],
)
def test_scan_catches_role_comparisons(line):
    assert role_comparisons(line) != []


@pytest.mark.parametrize(
    "line",
    [
        '{% if membership|can:"members.invite" %}',
        "<span>{{ membership.get_role_display }}</span>",
        "{% for role in assignable_roles %}<option{% if role.value == member.role %} selected{% endif %}>{{ role.label }}</option>{% endfor %}",
        '{% if event.action == "member.role_changed" %}',
        "{% if user.is_staff %}",
        '<div role="alert">',
    ],
)
def test_scan_allows_role_display_and_matrix_checks(line):
    assert role_comparisons(line) == []


def test_no_template_compares_roles():
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{found}"
        for path in template_files()
        for found in role_comparisons(path.read_text())
    ]
    assert offenders == [], 'ask the matrix instead: {% if membership|can:"<permission>" %}'


def test_every_can_in_templates_names_a_known_permission():
    """{% if %} turns errors inside and/or/not into False, so unknown names are caught here."""
    uses = [
        (f"{path.relative_to(TEMPLATES)}:{n}", match.group("arg"))
        for path in template_files()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for match in CAN_CALL.finditer(line)
    ]
    assert len(uses) >= 20
    offenders = [
        f"{where}: {arg}"
        for where, arg in uses
        if arg[0] not in "\"'" or arg[1:-1] not in PERMISSIONS
    ]
    assert offenders == [], "use a quoted name from accounts.permissions.PERMISSIONS"


# --- Rendered pages ---------------------------------------------------------------------------


@pytest.fixture
def local_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_USES_S3 = False
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


@pytest.fixture
def campaign(workspace):
    return Campaign.objects.create(
        workspace=workspace,
        name="Spring blend launch",
        product_name="Spring Blend",
        key_message="Bright and floral.",
    )


# (page, what only permitted roles see, the permission that decides it)
BUTTONS = [
    ("campaigns:list", 'data-testid="new-campaign"', "content.edit"),
    (
        "campaigns:list",
        '<i class="bi bi-clock-history" aria-hidden="true"></i> Activity</a>',
        "audit.view",
    ),
    ("campaigns:detail", "Edit brief", "content.edit"),
    ("campaigns:detail", 'data-testid="add-cohort"', "content.edit"),
    ("creatives:library", 'data-testid="upload-button"', "content.edit"),
    ("accounts:dashboard", "Invite teammates", "members.invite"),
    ("accounts:members", "Send invitation", "members.invite"),
    ("accounts:workspace_settings", "Transfer ownership…", "workspace.transfer"),
    ("accounts:workspace_settings", "The last owner must transfer", "workspace.transfer"),
    ("privacy:workspace", 'data-testid="save-retention"', "privacy.retention"),
    ("privacy:workspace", 'data-testid="export-workspace"', "workspace.export"),
    ("privacy:workspace", 'data-testid="delete-workspace"', "workspace.delete"),
    ("meta_integration:connections", 'data-testid="connect-meta"', "meta.connect"),
]


@pytest.mark.parametrize("_case", ["owner", "admin", "editor", "viewer"])
@pytest.mark.parametrize(
    ("page", "marker", "permission"), BUTTONS, ids=[f"{p}-{perm}" for p, _, perm in BUTTONS]
)
def test_each_role_sees_exactly_the_buttons_it_may_use(
    cast, campaign, local_media, page, marker, permission, _case
):
    membership = cast[_case]
    args = ["acme", campaign.pk] if page == "campaigns:detail" else ["acme"]

    response = client_for(membership).get(reverse(page, args=args))

    assert response.status_code == 200
    assert (marker in response.content.decode()) is has_permission(membership.role, permission)


@pytest.mark.parametrize("_case", ["editor", "viewer"])
def test_members_who_cannot_connect_meta_are_told_who_can(cast, _case):
    response = client_for(cast[_case]).get(reverse("meta_integration:connections", args=["acme"]))

    assert "Ask an owner or admin of this workspace to connect Meta." in response.content.decode()
