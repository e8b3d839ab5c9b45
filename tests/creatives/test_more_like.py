"""*Make more like this*: new variants modelled on a winner and its results (issue #18).

The service (``generation.generate_more_like``) starts a scripts job for the winner's audience;
the job hands the winner's text and the results summary to the provider and records both on
every variant it writes. Jobs run in-process (``run_generation_job``, the worker's entry point)
except in the one real-worker test; the OpenAI path goes through the real SDK against the local
fake (tests/openai_fake.py).
"""

import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from campaigns.models import AudienceCohort, Campaign
from creatives.studio import generation
from creatives.studio.ai.base import AIError, Brief, Results, ScriptVariant, Winner
from creatives.studio.ai.offline import OfflineProvider
from creatives.studio.ai.openai_provider import MORE_LIKE_SYSTEM_PROMPT
from creatives.studio.errors import GenerationError
from creatives.studio.models import AICall, AISettings, GenerationJob, Script, ScriptVersion
from tests.conftest import client_for
from tests.openai_fake import OpenAIFake

pytestmark = pytest.mark.usefixtures("media_root", "no_server_key")

RESULTS = {
    "ctr": "2.10",
    "cost_per_result": "0.42",
    "currency": "USD",
    "reach": 12000,
    "engagement_rate": "4.5",
    "range": "last_30d",
}
SUMMARY = "CTR 2.1%, cost per result 0.42 USD, reach 12,000, engagement rate 4.5% (last_30d)"


@pytest.fixture
def campaign(editor):
    return Campaign.objects.create(
        workspace=editor.workspace,
        created_by=editor.user,
        name="Trail launch",
        product_name="Acme Trail Shoes",
        key_message="Grip that holds on wet rock.",
        offer="Free returns",
    )


@pytest.fixture
def cohort(campaign):
    return AudienceCohort.objects.create(
        campaign=campaign, name="Weekend hikers", countries=["DE"], interests=["hiking"]
    )


def run(job: GenerationJob) -> GenerationJob:
    generation.run_generation_job(job_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def winner(editor, cohort) -> Script:
    """Variant 1 of the audience, written by the offline provider and then edited by hand."""
    job = run(generation.start_scripts(actor=editor, cohort=cohort, variants=1))
    assert job.status == GenerationJob.Status.SUCCEEDED, job.error
    script = Script.objects.select_related("current").get(cohort=cohort)
    fields = {name: getattr(script.current, name) for name in generation.SCRIPT_FIELDS}
    generation.edit_script(
        actor=editor,
        script=script,
        fields={**fields, "hook": "Wet rock? Not a problem.", "cta": "Grab a pair today."},
    )
    script.refresh_from_db()
    return script


def new_variants(cohort, winner) -> list[Script]:
    return list(
        Script.objects.filter(cohort=cohort)
        .exclude(pk=winner.pk)
        .select_related("current")
        .order_by("number")
    )


# --- The offline provider ------------------------------------------------------------------


def test_offline_keeps_the_winners_hook_or_body_and_says_what_it_followed():
    brief = Brief(product_name="Acme Trail Shoes", key_message="Grip that holds on wet rock.")
    model = OfflineProvider().write_scripts(brief, 1)[0]
    winner = Winner(script=model, number=4, results=generation.parse_results(RESULTS))
    provider = OfflineProvider()

    variants = provider.write_more_like(brief, winner, 3)

    # The objective has two bodies and the winner uses one: one new body, then new hooks.
    assert [(v.hook == model.hook, v.body == model.body) for v in variants] == [
        (True, False),
        (False, True),
        (False, True),
    ]
    assert len({(v.hook, v.body) for v in variants}) == 3
    assert all(v.cta == model.cta for v in variants)
    assert [v.note for v in variants] == [
        f"Modelled on variant 4 ({SUMMARY}): keeps its hook, with a new body.",
        f"Modelled on variant 4 ({SUMMARY}): keeps its body, with a new hook.",
        f"Modelled on variant 4 ({SUMMARY}): keeps its body, with a new hook.",
    ]
    assert variants == OfflineProvider().write_more_like(brief, winner, 3)  # deterministic
    (usage,) = provider.take_usage()
    assert (usage.operation, usage.cost_micro_usd) == ("write_more_like", 0)
    assert "'ctr': '2.10'" in usage.prompt


def test_offline_refuses_more_than_three():
    brief = Brief(product_name="Acme", key_message="Good.")
    winner = Winner(
        script=ScriptVariant("h", "b", "c", "v", (), "cap", (), "en"), number=1, results=Results()
    )

    with pytest.raises(AIError, match="between 1 and 3"):
        OfflineProvider().write_more_like(brief, winner, 4)


# --- The job, end to end (offline) ----------------------------------------------------------


def test_more_like_writes_variants_modelled_on_the_winner_and_records_it(editor, cohort, winner):
    job = run(
        generation.generate_more_like(actor=editor, script=winner, results=RESULTS, variants=3)
    )

    assert (job.status, job.message, job.script_id) == (
        "succeeded",
        "3 variants written.",
        winner.pk,
    )
    scripts = new_variants(cohort, winner)
    assert [s.number for s in scripts] == [2, 3, 4]
    assert job.params["script_ids"] == [s.pk for s in scripts]
    stored = {
        "ctr": "2.10",
        "cost_per_result": "0.42",
        "currency": "USD",
        "reach": 12000,
        "engagement_rate": "4.5",
        "range": "last_30d",
    }
    for script in scripts:
        assert (script.modelled_on_id, script.modelled_on_number) == (winner.pk, 1)
        assert script.modelled_on_results == stored
        assert script.current.cta == "Grab a pair today."  # the winner's closing line
        assert script.current.note.startswith(f"Modelled on variant 1 ({SUMMARY})")
    # The hand-edited hook is what the job was given, not the AI's first version.
    assert [s.current.hook == "Wet rock? Not a problem." for s in scripts] == [True, False, False]
    assert [s.current.body == winner.current.body for s in scripts] == [False, True, True]
    assert list(AICall.objects.filter(job=job).values_list("provider", "operation")) == [
        ("offline", "write_more_like")
    ]
    # The winner itself is untouched.
    winner.refresh_from_db()
    assert (winner.modelled_on_id, winner.modelled_on_number, winner.versions.count()) == (
        None,
        None,
        2,
    )


def test_the_winners_text_is_taken_when_the_job_starts(editor, cohort, winner):
    job = generation.generate_more_like(actor=editor, script=winner, results={"reach": 900})
    fields = {name: getattr(winner.current, name) for name in generation.SCRIPT_FIELDS}
    generation.edit_script(actor=editor, script=winner, fields={**fields, "hook": "Changed later."})

    run(job)

    hooks = [s.current.hook for s in new_variants(cohort, winner)]
    assert "Changed later." not in hooks
    assert hooks.count("Wet rock? Not a problem.") == 1


def test_a_deleted_winner_keeps_its_number_on_the_variants(editor, cohort, winner):
    run(generation.generate_more_like(actor=editor, script=winner, results={"ctr": 3}))
    Script.objects.filter(pk=winner.pk).delete()

    remaining = list(Script.objects.filter(cohort=cohort))

    assert len(remaining) == 3
    assert {(s.modelled_on_id, s.modelled_on_number) for s in remaining} == {(None, 1)}


# --- Bad input: refused, nothing written --------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ({}, "Give at least one result"),
        ({"range": "last_7d"}, "Give at least one result"),
        ({"ctr": "150"}, "CTR must be between 0 and 100."),
        ({"ctr": "-1"}, "CTR must be between 0 and 100."),
        ({"ctr": "NaN"}, "CTR must be a number."),
        ({"ctr": "Infinity"}, "CTR must be a number."),
        ({"ctr": "two"}, "CTR must be a number."),
        ({"ctr": True}, "CTR must be a number."),
        ({"ctr": "1.1234567"}, "CTR has more than 6 decimals."),
        ({"reach": "1.5"}, "Reach must be a whole number."),
        ({"reach": -3}, "Reach must be a whole number."),
        ({"reach": "²"}, "Reach must be a whole number."),
        ({"reach": "9" * 5000}, "Reach must be at most 1,000,000,000,000."),
        ({"cost_per_result": "2000000"}, "The cost per result must be between 0 and 1,000,000."),
        ({"cost_per_result": "1", "currency": "US$"}, "three-letter code"),
        ({"ctr": 1, "range": "last week"}, "The range is a period such as last_30d"),
        ({"ctr": 1, "range": "2026-03-01..2026-02-01"}, "the first not after the second"),
        ({"ctr": 1, "range": "2026-02-30..2026-03-01"}, "the first not after the second"),
        ({"ctr": 1, "impressions": 5}, "Unknown results: impressions."),
    ],
)
def test_the_service_refuses_bad_results(editor, winner, results, message):
    with pytest.raises(GenerationError, match=message.replace("(", r"\(").replace(".", r"\.")):
        generation.generate_more_like(actor=editor, script=winner, results=results)

    assert GenerationJob.objects.filter(script=winner).count() == 0


def test_floats_are_rounded_to_six_decimals():
    results = generation.parse_results({"ctr": 0.1 + 0.2, "engagement_rate": 4.0})

    assert results.as_data() == {"ctr": "0.300000", "engagement_rate": "4.000000"}
    assert results.describe() == "CTR 0.3%, engagement rate 4%"


def test_a_variant_without_text_is_refused(editor, cohort):
    empty = Script.objects.create(campaign=cohort.campaign, cohort=cohort, number=1)

    with pytest.raises(GenerationError, match="no text yet"):
        generation.generate_more_like(actor=editor, script=empty, results={"ctr": 2})

    assert GenerationJob.objects.count() == 0


def test_a_viewer_cannot_start_it(viewer, winner):
    with pytest.raises(GenerationError, match="can't generate"):
        generation.generate_more_like(actor=viewer, script=winner, results={"ctr": 2})


def test_the_same_more_like_twice_waits_for_the_first(editor, winner):
    generation.generate_more_like(actor=editor, script=winner, results={"ctr": 2})

    with pytest.raises(GenerationError, match="already running"):
        generation.generate_more_like(actor=editor, script=winner, results={"ctr": 3})

    assert GenerationJob.objects.filter(script=winner).count() == 1


def test_it_runs_beside_a_plain_scripts_job_without_clashing_numbers(editor, cohort, winner):
    plain = generation.start_scripts(actor=editor, cohort=cohort, variants=2)
    like = generation.generate_more_like(actor=editor, script=winner, results={"ctr": 2})

    assert run(like).status == "succeeded"
    assert run(plain).status == "succeeded"

    numbers = sorted(Script.objects.filter(cohort=cohort).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]


# --- The view --------------------------------------------------------------------------------


def post(membership, script_pk, data):
    return client_for(membership).post(f"/w/acme/scripts/{script_pk}/more-like/", data)


def test_the_view_starts_it_and_goes_to_the_campaigns_studio(editor, campaign, cohort, winner):
    response = post(editor, winner.pk, {"variants": "2", **RESULTS})

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/campaigns/{campaign.pk}/#studio"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Writing variants like variant 1 for Weekend hikers started; progress shows below."
    ]
    job = GenerationJob.objects.get(script=winner)
    assert (job.kind, job.params["variants"], job.params["like"]["results"]) == (
        "scripts",
        2,
        {
            "ctr": "2.10",
            "cost_per_result": "0.42",
            "currency": "USD",
            "reach": 12000,
            "engagement_rate": "4.5",
            "range": "last_30d",
        },
    )

    run(job)
    html = client_for(editor).get(f"/w/acme/campaigns/{campaign.pk}/").content.decode()
    for script in new_variants(cohort, winner):
        assert f'data-testid="modelled-on-{script.pk}"' in html
    assert html.count("Modelled on variant 1") == 2
    assert SUMMARY in html
    page = client_for(editor).get(f"/w/acme/scripts/{new_variants(cohort, winner)[0].pk}/")
    assert (
        f'Modelled on <a href="/w/acme/scripts/{winner.pk}/">variant 1</a>: {SUMMARY}'
        in page.content.decode()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ctr": "150"}, "Ensure this value is less than or equal to 100."),
        ({"ctr": "abc"}, "Enter a number."),
        ({"ctr": "NaN"}, "Enter a number."),
        ({"reach": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"reach": "1.5"}, "Enter a whole number."),
        ({"ctr": "2", "range": "soon"}, "The range is a period such as last_30d"),
        ({"ctr": "2", "currency": "$$$"}, "A three-letter code, such as USD."),
        ({"ctr": "2", "variants": "9"}, "Select a valid choice."),
        ({}, "Give at least one result"),
    ],
)
def test_the_view_refuses_bad_figures_with_422_and_starts_nothing(editor, winner, data, message):
    response = post(editor, winner.pk, data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert GenerationJob.objects.filter(script=winner).count() == 0
    assert Script.objects.count() == 1


@pytest.mark.parametrize(
    ("_case", "persona", "status", "started"),
    [
        ("owner starts it", "owner", 302, 1),
        ("admin starts it", "admin", 302, 1),
        ("editor starts it", "editor", 302, 1),
        ("viewer may not", "viewer", 403, 0),
        ("outsider sees nothing", "outsider", 404, 0),
    ],
)
def test_who_can_make_more_like_this(cast, winner, _case, persona, status, started):
    response = post(cast[persona], winner.pk, {"ctr": "2"})

    assert response.status_code == status
    assert GenerationJob.objects.filter(script=winner).count() == started


def test_another_workspaces_variant_is_a_404(outsider, editor, winner):
    # The outsider's own workspace slug, our script's pk.
    response = client_for(outsider).post(f"/w/rival/scripts/{winner.pk}/more-like/", {"ctr": "2"})

    assert response.status_code == 404
    assert GenerationJob.objects.filter(script=winner).count() == 0


def test_get_is_not_allowed(editor, winner):
    response = client_for(editor).get(f"/w/acme/scripts/{winner.pk}/more-like/")

    assert response.status_code == 405


# --- OpenAI: the winner is data; the budget applies ---------------------------------------------


@pytest.fixture(scope="module")
def running_fake() -> Iterator[OpenAIFake]:
    with OpenAIFake().running() as fake:
        yield fake


@pytest.fixture
def fake(running_fake, settings, workspace):
    running_fake.reset()
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = running_fake.url
    settings.OPENAI_TEXT_MODEL = "gpt-4.1-mini"
    settings.OPENAI_TIMEOUT_SECONDS = 10
    return running_fake


def test_openai_gets_the_winner_and_its_results_as_data(editor, cohort, winner, fake):
    AISettings.objects.create(workspace=editor.workspace, provider=AISettings.Provider.OPENAI)

    job = run(
        generation.generate_more_like(actor=editor, script=winner, results=RESULTS, variants=2)
    )

    assert job.status == "succeeded", job.error
    (request,) = fake.requests
    system, user = request.body["messages"]
    assert system == {"role": "system", "content": MORE_LIKE_SYSTEM_PROMPT}
    payload = json.loads(user["content"])
    assert payload["variants"] == 2
    assert payload["winner"]["script"]["hook"] == "Wet rock? Not a problem."
    assert payload["winner"]["results"] == {**RESULTS}
    assert "Weekend hikers" not in user["content"]  # the audience's internal name stays home
    scripts = new_variants(cohort, winner)
    assert [s.current.hook for s in scripts] == [
        "Hook 1 for Acme Trail Shoes",
        "Hook 2 for Acme Trail Shoes",
    ]
    assert {s.current.note for s in scripts} == {f"Modelled on variant 1 ({SUMMARY})."}
    assert {(s.modelled_on_id, s.current.provider) for s in scripts} == {(winner.pk, "openai")}
    (call,) = AICall.objects.filter(job=job)
    assert (call.operation, call.cost_micro_usd > 0) == ("write_more_like", True)


def test_the_ai_budget_stops_it_before_any_request(editor, cohort, winner, fake):
    AISettings.objects.create(
        workspace=editor.workspace,
        provider=AISettings.Provider.OPENAI,
        monthly_cap_usd=Decimal("0.01"),
    )
    AICall.objects.create(
        workspace=editor.workspace,
        provider="openai",
        model="gpt-4.1-mini",
        operation="write_scripts",
        unit="tokens",
        cost_micro_usd=10_000,
    )

    job = run(generation.generate_more_like(actor=editor, script=winner, results=RESULTS))

    assert (job.status, job.retryable) == ("failed", False)
    assert "has used $0.0100 of its $0.0100 monthly AI budget" in job.error
    assert fake.requests == []
    assert new_variants(cohort, winner) == []
    assert AICall.objects.filter(job=job).count() == 0


# --- A real worker ------------------------------------------------------------------------------


def test_a_worker_runs_it_enqueued_on_commit(editor, start_worker, settings):
    settings.OPENAI_API_KEY = ""
    worker = start_worker(OPENAI_API_KEY="")
    campaign = Campaign.objects.create(
        workspace=editor.workspace,
        name="Trail launch",
        product_name="Acme Trail Shoes",
        key_message="Grip that holds on wet rock.",
    )
    cohort = AudienceCohort.objects.create(campaign=campaign, name="Weekend hikers")
    script = Script.objects.create(campaign=campaign, cohort=cohort, number=1)
    version = ScriptVersion.objects.create(
        script=script,
        number=1,
        origin=ScriptVersion.Origin.HUMAN,
        hook="Wet rock? Not a problem.",
        body="Grip that holds. Every step.",
        cta="Grab a pair today.",
        voiceover="Wet rock? Not a problem. Grip that holds. Every step. Grab a pair today.",
        caption="Wet rock? Not a problem.",
    )
    Script.objects.filter(pk=script.pk).update(current=version)
    script.refresh_from_db()

    # transactional_db: the service's transaction commits, so its on_commit enqueue runs.
    job = generation.generate_more_like(actor=editor, script=script, results={"ctr": "3.5"})

    deadline = time.monotonic() + 60
    while job.status in (GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING):
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.5)
        job.refresh_from_db()

    assert (job.status, job.attempts) == ("succeeded", 1), job.error
    made = list(Script.objects.filter(cohort=cohort).exclude(pk=script.pk).order_by("number"))
    assert [(s.number, s.modelled_on_id, s.modelled_on_results) for s in made] == [
        (2, script.pk, {"ctr": "3.5"}),
        (3, script.pk, {"ctr": "3.5"}),
        (4, script.pk, {"ctr": "3.5"}),
    ]
    assert made[0].current.hook == "Wet rock? Not a problem."
