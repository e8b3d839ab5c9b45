"""The brief carried into the ad (issue #13): audience, objective and currency.

An ad drafted from an approved studio video starts with its campaign's objective and its
script's audience; Sales and Leads are offered, and preflight says what they still need; the
budget names the ad account's currency.
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.meta_vocabulary import Objective
from meta_integration.models import InstagramAccount, MetaAdAccount, MetaPage
from publishing.forms import PublicationForm
from publishing.models import Publication
from tests.conftest import client_for
from tests.meta_integration.helpers import connect
from tests.publishing.conftest import make_publication
from tests.publishing.test_targets import LINK, _approved_video

pytestmark = pytest.mark.django_db

NEW = reverse("publishing:new", args=["acme"])


@pytest.fixture
def meta(owner, sandbox):
    connect(client_for(owner), sandbox)
    for model in (MetaPage, InstagramAccount, MetaAdAccount):
        model.objects.filter(workspace=owner.workspace).update(is_selected=True)


def _brief_video(editor, *, objective=Objective.SALES, interests=("trail running", "hiking")):
    creative = _approved_video(editor, "9:16")
    cohort = creative.script.cohort
    cohort.countries, cohort.age_min, cohort.age_max = ["DE", "AT"], 25, 44
    cohort.genders, cohort.interests = [2], list(interests)
    cohort.save(update_fields=["countries", "age_min", "age_max", "genders", "interests"])
    creative.script.campaign.objective = objective
    creative.script.campaign.save(update_fields=["objective"])
    return creative


def test_an_ad_from_a_studio_video_starts_with_the_brief(editor):
    creative = _brief_video(editor)

    response = client_for(editor).get(f"{NEW}?creative={creative.pk}&target=meta_ad")

    assert response.status_code == 200
    initial = response.context["form"].initial
    assert {k: initial[k] for k in ("target", "item_1", "link_url", "cta_type", "objective")} == {
        "target": "meta_ad",
        "item_1": creative.asset_id,
        "link_url": LINK,
        "cta_type": "SHOP_NOW",
        "objective": "OUTCOME_SALES",
    }
    assert {k: initial[k] for k in ("countries", "age_min", "age_max", "genders")} == {
        "countries": "DE, AT",
        "age_min": 25,
        "age_max": 44,
        "genders": "2",
    }
    (notice,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert notice == (
        "The audience “Weekend hikers” is filled in. Its interests (trail running, hiking) "
        "aren't sent: Meta targets interests by its own ids; add them in Ads Manager if needed."
    )


def test_an_audience_of_everyone_prefills_no_gender_and_no_interest_notice(editor):
    creative = _brief_video(editor, objective=Objective.TRAFFIC, interests=())
    creative.script.cohort.genders = [1, 2]
    creative.script.cohort.save(update_fields=["genders"])

    response = client_for(editor).get(f"{NEW}?creative={creative.pk}&target=meta_ad")

    initial = response.context["form"].initial
    assert (initial["genders"], initial["objective"]) == ("", "OUTCOME_TRAFFIC")
    assert list(get_messages(response.wsgi_request)) == []


def test_an_organic_draft_from_a_studio_video_gets_no_ad_fields(editor):
    creative = _brief_video(editor)

    initial = client_for(editor).get(f"{NEW}?creative={creative.pk}").context["form"].initial

    assert initial["target"] == "ig_reel"
    assert not {"objective", "countries", "age_min", "genders"} & set(initial)


def test_every_objective_of_the_brief_is_offered_for_an_ad(owner):
    offered = {
        value for value, _label in PublicationForm(membership=owner).fields["objective"].choices
    }

    assert offered == {"", *Objective.values}


@pytest.mark.parametrize(
    ("objective", "needs"),
    [(Objective.SALES, "a Meta pixel on your site"), (Objective.LEADS, "a lead form")],
)
def test_sales_and_leads_are_saved_and_preflight_says_what_is_missing(
    connected, upload, objective, needs
):
    publication = make_publication(
        connected, "meta_ad", [upload(connected, "square.jpg")], objective=objective
    )

    (check,) = [r for r in publication.preflight if r["key"] == "ad_objective"]
    assert check["status"] == "fail"
    assert needs in check["message"]
    assert check["fix"] == "Choose Traffic to send people to the product page for now."
    assert publication.status == Publication.Status.DRAFT


def test_the_budget_names_the_ad_accounts_currency(owner, meta):
    account = MetaAdAccount.objects.get(workspace=owner.workspace, is_selected=True, currency="USD")
    MetaAdAccount.objects.exclude(pk=account.pk).update(is_selected=False)

    form = client_for(owner).get(f"{NEW}?target=meta_ad").context["form"]

    assert form.fields["budget"].help_text == "In USD, the ad account's currency."
    assert form.fields["budget"].widget.attrs["data-currencies"] == f'{{"{account.pk}": "USD"}}'
