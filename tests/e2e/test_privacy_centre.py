"""The privacy centre in a browser: export my data, download it, then delete my account."""

import json
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.factories import PASSWORD
from tests.privacy.conftest import upload_image

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_export_then_delete_account(
    page: Page,
    live_server,
    owner,
    editor,
    media_root,
    tmp_path,
    celery_worker_process,
    csp_violations,
):
    asset = upload_image(editor, "summer-sale.jpg")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", editor.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")

    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Privacy centre").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy centre")
    expect(page.get_by_test_id("stored-data")).to_contain_text("Media you uploaded")

    # Export: the list polls while the worker builds the archive, then offers the download.
    page.get_by_test_id("export-mine").click()
    expect(page.get_by_text("Your export is being prepared")).to_be_visible()
    download_button = page.get_by_test_id("download-export")
    expect(download_button).to_be_visible(timeout=30000)
    with page.expect_download() as info:
        download_button.click()
    path = tmp_path / "export.zip"
    info.value.save_as(path)
    archive = zipfile.ZipFile(path)
    profile = json.loads(archive.read("records/accounts.profile.json"))
    assert profile[0]["email"] == editor.user.email
    assert f"media/{asset.pk}.jpg" in archive.namelist()

    # Delete: the password is asked again; the page then follows the erasure by its code.
    page.fill("input[name=password]", PASSWORD)
    page.check("input[name=confirm]")
    page.get_by_test_id("delete-account").click()
    expect(page).to_have_url(re.compile(r"/privacy/deletion/[A-Z0-9]{20}/$"))
    code = page.get_by_test_id("confirmation-code").inner_text()
    assert code in page.url
    for _attempt in range(30):
        if "Completed" in page.get_by_test_id("deletion-status").inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.get_by_test_id("deletion-status")).to_contain_text("Completed")
    expect(page.get_by_test_id("deletion-counts")).to_contain_text("Account: 1")
    assert not User.objects.filter(email=editor.user.email).exists()

    # Signing in again no longer works.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", editor.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert csp_violations == []
