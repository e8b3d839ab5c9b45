"""The workspace's contact details: email, phone, website and postal address (#13)."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Workspace
from accounts.privacy import export_workspace
from tests.conftest import client_for

SETTINGS_BASE = {
    "name": "Acme",
    "company_name": "",
    "store_name": "",
    "timezone": "UTC",
    "currency": "USD",
}
CONTACT = {
    "contact_email": "hello@acme.example",
    "contact_phone": "+44 20 7946 0958",
    "website": "https://acme.example/shop",
    "postal_address": "1 High Street\nLondon\nSW1A 1AA",
}


def _url(membership):
    return reverse("accounts:workspace_settings", args=[membership.workspace.slug])


@pytest.mark.parametrize("persona", ["owner", "admin"])
def test_managers_save_the_contact_details(request, persona):
    membership = request.getfixturevalue(persona)

    response = client_for(membership).post(_url(membership), {**SETTINGS_BASE, **CONTACT})

    assert response.status_code == 302
    workspace = Workspace.objects.get(pk=membership.workspace_id)
    assert (
        workspace.contact_email,
        workspace.contact_phone,
        workspace.website,
        workspace.postal_address,
    ) == (
        "hello@acme.example",
        "+44 20 7946 0958",
        "https://acme.example/shop",
        "1 High Street\nLondon\nSW1A 1AA",
    )
    event = AuditEvent.objects.get(action="workspace.updated")
    assert set(event.metadata["fields"]) >= {
        "contact_email",
        "contact_phone",
        "website",
        "postal_address",
    }


def test_settings_page_shows_the_contact_details(owner):
    Workspace.objects.filter(pk=owner.workspace_id).update(**CONTACT)

    html = client_for(owner).get(_url(owner)).content.decode()

    assert '<legend class="h6">Contact details</legend>' in html
    assert 'value="hello@acme.example"' in html
    assert 'value="+44 20 7946 0958"' in html
    assert 'value="https://acme.example/shop"' in html
    assert "1 High Street\nLondon\nSW1A 1AA</textarea>" in html
    for kind in ("email", "tel", "url"):
        assert f'type="{kind}"' in html


@pytest.mark.parametrize("persona", ["editor", "viewer"])
def test_editors_and_viewers_cannot_change_them(request, persona):
    membership = request.getfixturevalue(persona)
    client = client_for(membership)

    page = client.get(_url(membership)).content.decode()
    response = client.post(_url(membership), {**SETTINGS_BASE, **CONTACT})

    assert 'name="contact_email"' in page
    assert page.count("disabled") >= 4
    assert response.status_code == 403
    workspace = Workspace.objects.get(pk=membership.workspace_id)
    assert (workspace.contact_email, workspace.website) == ("", "")
    assert not AuditEvent.objects.filter(action="workspace.updated").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "not-an-email", "Enter a valid email address."),
        ("contact_email", "a@b.example\r\nBcc: x@evil.example", "Enter a valid email address."),
        ("website", "javascript:alert(1)", "Enter a web address starting with http:// or https://"),
        ("website", "ftp://files.acme.example/", "Enter a web address starting with http://"),
        ("website", "data:text/html,<script>x</script>", "starting with http:// or https://"),
        ("website", "https://" + "a" * 300 + ".example", "at most 200 characters"),
        ("contact_phone", "call me maybe", "Enter a phone number"),
        ("contact_phone", "<script>1</script>", "Enter a phone number"),
        ("contact_phone", "+44 20 7946 0958 ext 12", "Enter a phone number"),
        ("contact_phone", "12", "Enter a phone number"),
        ("postal_address", "1 High St\u202e\nLondon", "control or invisible characters"),
        ("postal_address", "x" * 501, "at most 500 characters"),
    ],
)
def test_hostile_input_is_refused_with_a_message_and_nothing_saved(owner, field, value, message):
    response = client_for(owner).post(_url(owner), {**SETTINGS_BASE, **CONTACT, field: value})

    assert response.status_code == 422
    assert message in response.content.decode().replace("&#x27;", "'")
    workspace = Workspace.objects.get(pk=owner.workspace_id)
    assert (workspace.contact_email, workspace.contact_phone, workspace.website) == ("", "", "")
    assert not AuditEvent.objects.filter(action="workspace.updated").exists()


def test_website_without_a_scheme_gets_https(owner):
    response = client_for(owner).post(
        _url(owner), {**SETTINGS_BASE, **CONTACT, "website": "acme.example"}
    )

    assert response.status_code == 302
    assert Workspace.objects.get(pk=owner.workspace_id).website == "https://acme.example"


def test_contact_details_are_optional_and_can_be_cleared(owner):
    Workspace.objects.filter(pk=owner.workspace_id).update(**CONTACT)

    response = client_for(owner).post(_url(owner), {**SETTINGS_BASE, **dict.fromkeys(CONTACT, "")})

    assert response.status_code == 302
    workspace = Workspace.objects.get(pk=owner.workspace_id)
    assert (
        workspace.contact_email,
        workspace.contact_phone,
        workspace.website,
        workspace.postal_address,
    ) == ("", "", "", "")


def test_windows_line_endings_in_the_address_are_normalised(owner):
    client_for(owner).post(
        _url(owner), {**SETTINGS_BASE, **CONTACT, "postal_address": " 1 High St\r\nLondon \r\n"}
    )

    assert Workspace.objects.get(pk=owner.workspace_id).postal_address == "1 High St\nLondon"


def test_contact_details_are_in_the_workspace_export(owner):
    Workspace.objects.filter(pk=owner.workspace_id).update(**CONTACT)

    (record,) = export_workspace(owner.workspace_id).records["workspace"]

    assert {key: record[key] for key in CONTACT} == CONTACT


def test_another_workspace_settings_are_a_404(owner, outsider):
    response = client_for(outsider).post(_url(owner), {**SETTINGS_BASE, **CONTACT})

    assert response.status_code == 404
    assert Workspace.objects.get(pk=owner.workspace_id).contact_email == ""
