"""Copy a person sees: never the cohort's internal name, shortened without an ellipsis.

The offline provider over every tone, objective and language; the OpenAI provider through the
real SDK against the local fake (tests/openai_fake.py), including a model that misbehaves.
"""

import json
from collections.abc import Iterator
from dataclasses import astuple, replace

import pytest

from creatives.studio.ai import copyedit
from creatives.studio.ai.base import Brief, Cohort, Scene
from creatives.studio.ai.offline import OBJECTIVES, TONES, OfflineProvider
from creatives.studio.ai.openai_provider import OpenAIProvider
from tests.openai_fake import OpenAIFake

COHORT = "Young urban commuters"
BRIEF = Brief(
    product_name="Acme Fold",
    key_message="Folds in ten seconds and fits under any desk",
    offer="20% off this week",
    tone="playful",
    objective="OUTCOME_SALES",
    cta="SHOP_NOW",
    language="en",
    brand_colours=("#145A32",),
    cohort=Cohort(
        name=COHORT,
        description="City workers who ride to the office",
        age_min=18,
        age_max=34,
        countries=("DE",),
        interests=("cycling", "city life"),
    ),
)


def printed(*values: object) -> str:
    """Return every string in ``values`` (dataclasses and tuples opened up), one per line."""
    found: list[str] = []
    for value in values:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, tuple | list):
            found.append(printed(*value))
        elif hasattr(value, "__dataclass_fields__"):
            found.append(printed(*astuple(value)))
    return "\n".join(found)


# --- Internal names ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es", "fr"])
@pytest.mark.parametrize("interests", [("cycling", "city life"), ()], ids=["interests", "none"])
def test_offline_copy_never_prints_the_cohort_name(language, interests):
    provider = OfflineProvider()
    for tone in TONES:
        for objective in OBJECTIVES:
            brief = replace(
                BRIEF,
                tone=tone,
                objective=objective,
                language=language,
                cohort=replace(BRIEF.cohort, interests=interests),
            )
            variants = provider.write_scripts(brief, 10)
            storyboard = provider.make_storyboard(brief, variants[0])
            text = printed(variants, storyboard).casefold()
            assert COHORT.casefold() not in text, (tone, objective)
            assert "youngurbancommuters" not in text.replace(" ", "")


def test_offline_scene_descriptions_describe_the_audience_instead():
    provider = OfflineProvider()
    storyboard = provider.make_storyboard(BRIEF, provider.write_scripts(BRIEF, 1)[0])
    assert storyboard.scenes[0].visual == (
        "Close-up of Acme Fold in brand colours, bold and eye-catching, "
        "for people aged 18 to 34 into cycling, city life."
    )


@pytest.fixture(scope="module")
def running_fake() -> Iterator[OpenAIFake]:
    with OpenAIFake().running() as fake:
        yield fake


@pytest.fixture
def fake(running_fake: OpenAIFake) -> OpenAIFake:
    running_fake.reset()
    return running_fake


@pytest.fixture
def openai(fake: OpenAIFake) -> OpenAIProvider:
    return OpenAIProvider(
        api_key="sk-test",
        base_url=fake.url,
        text_model="gpt-4.1-mini",
        image_model="gpt-image-1",
        speech_model="gpt-4o-mini-tts",
        timeout=5.0,
        max_retries=0,
    )


def test_openai_is_told_the_audience_but_not_its_name(openai, fake):
    script = openai.write_scripts(BRIEF, 2)[0]
    openai.make_storyboard(BRIEF, script)
    openai.make_image(BRIEF, Scene(3.0, "A bike", "Ride", "Ride"), (1080, 1080), "Ride", "")

    for request in fake.requests:
        assert COHORT.casefold() not in json.dumps(request.body, ensure_ascii=False).casefold()
    sent = json.loads(fake.requests[0].body["messages"][1]["content"])["brief"]
    assert "cohort" not in sent
    assert sent["audience"] == {
        "description": "City workers who ride to the office",
        "age_min": 18,
        "age_max": 34,
        "countries": ["DE"],
        "interests": ["cycling", "city life"],
    }
    assert "never by a segment label" in fake.requests[0].body["messages"][0]["content"]


def test_openai_copy_that_names_the_cohort_is_scrubbed(openai, fake):
    fake.chat_content.append(
        json.dumps(
            {
                "variants": [
                    {
                        "hook": f"Hey {COHORT}! Meet Acme Fold.",
                        "body": f"{COHORT}, this one's for you.",
                        "cta": "Shop now.",
                        "voiceover": f"Hey {COHORT.lower()}! Meet Acme Fold. Shop now.",
                        "on_screen_text": [f"Last chance, {COHORT}.", "Shop now"],
                        "caption": f"Made for {COHORT}.\n\n#AcmeFold #YoungUrbanCommuters",
                        "hashtags": ["#AcmeFold", "YoungUrbanCommuters"],
                    }
                ]
            }
        )
    )
    fake.chat_content.append(
        json.dumps(
            {
                "scenes": [
                    {
                        "duration_s": 3,
                        "visual": f"{COHORT} on bikes",
                        "on_screen_text": f"Hey {COHORT}!",
                        "voiceover_line": f"Hey {COHORT}, meet Acme Fold.",
                    }
                ]
            }
        )
    )

    (variant,) = openai.write_scripts(BRIEF, 1)
    storyboard = openai.make_storyboard(BRIEF, variant)

    assert COHORT.casefold() not in printed(variant, storyboard).casefold()
    assert (variant.hook, variant.body) == ("Hey! Meet Acme Fold.", "This one's for you.")
    assert variant.on_screen_text == ("Last chance.", "Shop now")
    assert variant.hashtags == ("#AcmeFold",)
    assert variant.caption == "Made for.\n\n#AcmeFold"
    assert storyboard.scenes[0].voiceover_line == "Hey, meet Acme Fold."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Hey {COHORT}! Meet Acme.", "Hey! Meet Acme."),
        (f"{COHORT}, this one's for you.", "This one's for you."),
        (f"Okay, {COHORT.upper()}, hear us out.", "Okay, hear us out."),
        ("Last chance, young-urban commuters.", "Last chance."),
        ("Nothing to see here.", "Nothing to see here."),
    ],
)
def test_scrub_removes_the_name_and_tidies_what_is_left(text, expected):
    assert copyedit.scrub(text, (COHORT,)) == expected


def test_a_name_the_brief_itself_uses_is_not_internal():
    public = replace(BRIEF, key_message="Built for young urban commuters")
    one_word = replace(BRIEF, cohort=replace(BRIEF.cohort, name="All"))
    assert copyedit.internal_names(public) == ()
    assert copyedit.internal_names(BRIEF) == (COHORT,)
    # A one-word name is an ordinary word too: only its exact spelling is taken out.
    assert (
        copyedit.scrub("Grip for all terrain. All set.", ("All",)) == "Grip for all terrain. Set."
    )
    assert copyedit.internal_names(one_word) == ("All",)


# --- Shorter lines ----------------------------------------------------------------------------

HOSTILE = [
    "Plot twist: Acme Fold just made cycling way more fun.",
    "Folds in ten seconds flat and fits under any desk, so your commute finally ends at the "
    "office door instead of the bike rack three streets away.",
    "Supercalifragilisticexpialidocious" * 4,
    "超轻折叠自行车十秒折叠放在桌下通勤从未如此轻松" * 3,
    "Ride more 🚲🔥✨ worry less 😎🙌 " * 4,
    "دراجة قابلة للطي في عشر ثوان تناسب مكتبك وتجعل تنقلك اليومي أسهل بكثير من أي وقت مضى",
    "Wait for it...",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("budget", [1, 12, 25, 40, 60])
def test_shortened_lines_keep_to_the_budget_without_an_ellipsis(text, budget):
    shorter = copyedit.shorten_by_rules(text, budget)
    assert 0 < len(shorter) <= budget
    assert not copyedit.has_ellipsis(shorter)
    assert shorter.replace(" ", "") in text.replace(" ", "").replace("just", "").replace(
        "way", ""
    ) or all(word in text for word in shorter.split())


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (45, "Plot twist: Acme Fold made cycling more fun."),  # filler words go first
        (35, "Acme Fold made cycling more fun."),  # then whole clauses
        (28, "Plot twist: Acme Fold made"),  # then leading words, when no clause is long enough
        (20, "Plot twist"),
    ],
)
def test_rules_prefer_fewer_fillers_then_whole_clauses_then_leading_words(budget, expected):
    line = "Plot twist: Acme Fold just made cycling way more fun."
    assert copyedit.shorten_by_rules(line, budget) == expected


def test_openai_shortens_through_the_model_under_a_budget(openai, fake):
    line = "Folds in ten seconds flat and fits under any desk, so your commute ends at the door"

    shorter = openai.shorten(BRIEF, line, 30)

    assert shorter == "Folds in ten seconds flat and"  # the fake's answer: its leading words
    (request,) = fake.requests
    body = json.loads(request.body["messages"][1]["content"])
    assert (body["max_chars"], body["line"]) == (30, line)
    assert request.body["response_format"]["json_schema"]["name"] == "shorter"
    (usage,) = openai.take_usage()
    assert usage.operation == "shorten"


def test_openai_answer_over_budget_or_with_an_ellipsis_falls_back_to_the_rules(openai, fake):
    line = "Plot twist: Acme Fold just made cycling way more fun."
    fake.chat_content.append(json.dumps({"text": "Acme Fold made cycling more fun…"}))
    fake.chat_content.append(json.dumps({"text": "A rambling answer far longer than asked for"}))

    assert openai.shorten(BRIEF, line, 40) == "Acme Fold made cycling more fun."
    assert openai.shorten(BRIEF, line, 20) == "A rambling answer"


def test_openai_image_headline_too_long_is_shortened_by_the_model(openai, fake):
    headline = "Folds in ten seconds and fits under any desk, " * 12
    openai.make_image(BRIEF, Scene(3.0, "A bike", headline, headline), (1080, 1080), headline, "")

    shortens = [r for r in fake.requests if r.path == "/v1/chat/completions"]
    assert len(shortens) == 1
    asked = json.loads(shortens[0].body["messages"][1]["content"])
    assert asked["line"] == headline.strip()
    assert 0 < asked["max_chars"] < len(headline)
    assert [u.operation for u in openai.take_usage()] == ["make_image", "shorten"]
