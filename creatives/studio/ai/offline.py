"""The offline provider: deterministic, network-free copy and designed images.

Copy comes from hand-written templates chosen by tone (playful, premium, urgent, friendly,
professional), Meta objective, cohort and language. The cohort's interests go into the lines
and its ages into the scene descriptions; its name is internal (a label for the team) and
only picks where the rotation starts: no template prints it, and ``copyedit.scrub`` removes
it should the brief's data carry it into a line. Templates exist for English and Spanish
only; any other language gets English, and every variant says so in ``note`` rather than
pretending. Same brief in, same output out.

The brief is quoted into templates as data; nothing in it is interpreted, so there is no
prompt-injection surface here (the OpenAI provider handles that risk in its prompts).

Lines too long for their place are shortened by ``copyedit.shorten_by_rules`` (never with
"…"). Images are drawn by ``creatives.studio.ai.layout``. There is no speech: ``speak``
returns None and videos carry captions and music instead. Usage is recorded for every call
at zero cost.
"""

import hashlib
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from campaigns.meta_vocabulary import CallToAction
from creatives.studio.ai import copyedit, layout
from creatives.studio.ai.base import (
    Brief,
    GeneratedImage,
    Scene,
    ScriptVariant,
    Speech,
    Storyboard,
    Usage,
    UsageLog,
    check_variant_count,
    cta_label,
    short_objective,
)

TONES = ("playful", "premium", "urgent", "friendly", "professional")
OBJECTIVES = ("awareness", "traffic", "engagement", "leads", "app_promotion", "sales")
MAX_HASHTAGS = 5
SUMMARY_CHARS = 280
ON_SCREEN_CHARS = 60  # a storyboard's on-screen line; the image layout may shorten it further


@dataclass(frozen=True)
class Templates:
    # tone -> 5 hooks; "with {interest}|without" gives cohorts with no interests a form that fits
    hooks: dict[str, tuple[str, ...]]
    bodies: dict[str, tuple[str, str]]  # objective -> 2 bodies
    closers: dict[str, str]  # objective -> spoken call to action ({cta} is the button label)
    offer: str
    tone_tags: dict[str, str]
    cta_labels: dict[str, str]
    visuals: dict[str, str]  # "hook", "body", "offer", "cta"
    audience: tuple[str, str]  # "people aged …", and what follows it when there are interests


ENGLISH = Templates(
    hooks={
        "playful": (
            "Plot twist: {product} just made {interest} way more fun."
            "|Plot twist: {product} just made your day way more fun.",
            "Warning: {product} may cause spontaneous happy dances.",
            "Calling all {interest} fans: this one's for you.|This one's for you. Yes, you.",
            "Okay, {interest} lovers, hear us out.|Okay, hear us out: {product} is here.",
            "Who knew {interest} could feel this good?|Who knew {product} could feel this good?",
        ),
        "premium": (
            "Crafted for those who notice the details: {product}.",
            "{product}. Quietly exceptional.",
            "For {interest} lovers who expect more.|For those who expect more: {product}.",
            "Elevate every moment of {interest}.|Elevate every moment with {product}.",
            "Some things are simply made better.",
        ),
        "urgent": (
            "Don't scroll past this: {product} won't wait.",
            "Last chance for {interest} fans.|Last chance to try {product}.",
            "Stop. {product} is here, and it's going fast.",
            "Only days left for {interest} fans.|Only days left to get {product}.",
            "Right now is the moment to try {product}.",
        ),
        "friendly": (
            "Hey there! Meet {product}.",
            "Say hello to your new favourite for {interest}.|Say hello to your new favourite: {product}.",
            "We made {product} with you in mind.",
            "Good news for {interest} fans.|Good news: {product} is here.",
            "Looking for something easy? Try {product}.",
        ),
        "professional": (
            "{product}: built for results.",
            "A smarter approach to {interest}.|A smarter approach, with {product}.",
            "What leading teams choose for {interest}: {product}."
            "|What leading teams choose: {product}.",
            "Less effort, better outcomes. Meet {product}.",
            "Proven, reliable, ready: {product}.",
        ),
    },
    bodies={
        "awareness": ("{message}. That's {product}.", "Meet {product}. {message}."),
        "traffic": (
            "{message}. See the whole story online.",
            "Curious? {message}. Take a closer look.",
        ),
        "engagement": (
            "{message}. Tell us what you think!",
            "{message}. Tag someone who needs this.",
        ),
        "leads": (
            "{message}. Leave your details and we'll be in touch.",
            "{message}. Sign up to hear first.",
        ),
        "app_promotion": (
            "{message}. All in one app.",
            "{message}. Download it and start in a minute.",
        ),
        "sales": ("{message}. Order yours today.", "{message}. Treat yourself now."),
    },
    closers={
        "awareness": "{cta} about {product}.",
        "traffic": "{cta}: tap the link.",
        "engagement": "{cta} and join the conversation.",
        "leads": "{cta} in under a minute.",
        "app_promotion": "{cta} today.",
        "sales": "{cta} while it lasts.",
    },
    offer="{offer}.",
    tone_tags={
        "playful": "#JustForFun",
        "premium": "#Crafted",
        "urgent": "#LimitedTime",
        "friendly": "#MadeForYou",
        "professional": "#WorkSmarter",
    },
    cta_labels={},  # base.cta_label gives the English label
    visuals={
        "hook": "Close-up of {product} in brand colours, bold and eye-catching, for {audience}.",
        "body": "{product} in everyday use by {audience}; warm light, natural setting.",
        "offer": "{product} with a clean badge highlighting the offer.",
        "cta": "End card: logo, {product} and the button “{cta}” on brand colours.",
    },
    audience=("people aged {age_min} to {age_max}", " into {interests}"),
)

SPANISH = Templates(
    hooks={
        "playful": (
            "Giro inesperado: {product} hace que {interest} sea mucho más divertido."
            "|Giro inesperado: {product} hace tu día mucho más divertido.",
            "Aviso: {product} puede provocar bailes de felicidad.",
            "Fans de {interest}, esto es para ti. Sí, para ti.|Esto es para ti. Sí, para ti.",
            "A ver, amantes de {interest}, escuchad esto.|A ver, escuchad esto: llega {product}.",
            "¿Quién diría que {interest} podía sentirse así de bien?"
            "|¿Quién diría que {product} podía sentirse así de bien?",
        ),
        "premium": (
            "Creado para quienes cuidan cada detalle: {product}.",
            "{product}. Discretamente excepcional.",
            "Para amantes de {interest} que esperan más.|Para quienes esperan más: {product}.",
            "Eleva cada momento de {interest}.|Eleva cada momento con {product}.",
            "Hay cosas que simplemente están mejor hechas.",
        ),
        "urgent": (
            "No sigas bajando: {product} no espera.",
            "Última oportunidad para los fans de {interest}."
            "|Última oportunidad de probar {product}.",
            "Para. {product} ya está aquí y vuela.",
            "Quedan pocos días para los fans de {interest}."
            "|Quedan pocos días para conseguir {product}.",
            "Ahora es el momento de probar {product}.",
        ),
        "friendly": (
            "¡Hola! Te presentamos {product}.",
            "Saluda a tu nuevo favorito para {interest}.|Saluda a tu nuevo favorito: {product}.",
            "Hicimos {product} pensando en ti.",
            "Buenas noticias para los fans de {interest}.|Buenas noticias: llega {product}.",
            "¿Buscas algo fácil? Prueba {product}.",
        ),
        "professional": (
            "{product}: pensado para dar resultados.",
            "Una forma más inteligente de abordar {interest}."
            "|Una forma más inteligente, con {product}.",
            "Lo que eligen los mejores equipos para {interest}: {product}."
            "|Lo que eligen los mejores equipos: {product}.",
            "Menos esfuerzo, mejores resultados. Conoce {product}.",
            "Probado, fiable y listo: {product}.",
        ),
    },
    bodies={
        "awareness": ("{message}. Eso es {product}.", "Conoce {product}. {message}."),
        "traffic": (
            "{message}. Descubre toda la historia en la web.",
            "¿Curiosidad? {message}. Échale un vistazo.",
        ),
        "engagement": (
            "{message}. ¡Cuéntanos qué opinas!",
            "{message}. Etiqueta a quien lo necesita.",
        ),
        "leads": (
            "{message}. Déjanos tus datos y te contactamos.",
            "{message}. Regístrate y entérate antes que nadie.",
        ),
        "app_promotion": (
            "{message}. Todo en una sola app.",
            "{message}. Descárgala y empieza en un minuto.",
        ),
        "sales": ("{message}. Pide el tuyo hoy.", "{message}. Date un capricho ahora."),
    },
    closers={
        "awareness": "{cta} sobre {product}.",
        "traffic": "{cta}: toca el enlace.",
        "engagement": "{cta} y únete a la conversación.",
        "leads": "{cta} en menos de un minuto.",
        "app_promotion": "{cta} hoy.",
        "sales": "{cta} mientras dure.",
    },
    offer="{offer}.",
    tone_tags={
        "playful": "#SoloPorDiversión",
        "premium": "#HechoConCuidado",
        "urgent": "#TiempoLimitado",
        "friendly": "#HechoParaTi",
        "professional": "#TrabajaMejor",
    },
    cta_labels={
        CallToAction.LEARN_MORE: "Más información",
        CallToAction.SHOP_NOW: "Comprar",
        CallToAction.SIGN_UP: "Registrarte",
        CallToAction.BOOK_TRAVEL: "Reservar",
        CallToAction.DOWNLOAD: "Descargar",
        CallToAction.GET_OFFER: "Obtener oferta",
        CallToAction.CONTACT_US: "Contactar",
        CallToAction.SUBSCRIBE: "Suscribirte",
        CallToAction.ORDER_NOW: "Pedir ahora",
        CallToAction.APPLY_NOW: "Solicitar",
        CallToAction.WATCH_MORE: "Ver más",
    },
    visuals={
        "hook": "Primer plano de {product} en los colores de la marca, llamativo, para {audience}.",
        "body": "{product} en el día a día de {audience}; luz cálida, entorno natural.",
        "offer": "{product} con una insignia limpia que destaca la oferta.",
        "cta": "Cierre: logotipo, {product} y el botón «{cta}» sobre los colores de la marca.",
    },
    audience=("personas de {age_min} a {age_max} años", " aficionadas a {interests}"),
)

TEMPLATES = {"en": ENGLISH, "es": SPANISH}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


def _language(code: str) -> str:
    return code.strip().lower().replace("_", "-").split("-")[0]


def _templates(brief: Brief) -> tuple[str, Templates, str]:
    """Return the language written, its templates, and a note when it fell back to English."""
    wanted = _language(brief.language)
    if wanted in TEMPLATES:
        return wanted, TEMPLATES[wanted], ""
    note = _(
        "Offline templates exist for %(languages)s only; this copy is in English, not “%(wanted)s”."
    ) % {"languages": ", ".join(LANGUAGE_NAMES.values()), "wanted": brief.language}
    return "en", ENGLISH, note


def _sentence(text: str) -> str:
    return text.strip().rstrip(".!").strip()


def _hashtag(text: str) -> str:
    words = re.findall(r"\w+", text)
    tag = "".join(w[:1].upper() + w[1:] for w in words if w != "_")
    return f"#{tag}" if tag else ""


def hashtags(brief: Brief, templates: Templates, tone: str) -> tuple[str, ...]:
    """Return up to five distinct hashtags from the product, the interests and the tone."""
    candidates = [
        _hashtag(brief.product_name),
        *(_hashtag(i) for i in brief.cohort.interests),
        templates.tone_tags[tone],
    ]
    seen: set[str] = set()
    tags: list[str] = []
    for tag in candidates:
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    if len(tags) > MAX_HASHTAGS:  # always keep the tone tag last
        tags = [*tags[: MAX_HASHTAGS - 1], tags[-1]]
    return tuple(tags)


def _audience(brief: Brief, templates: Templates) -> str:
    """Describe the cohort for scene descriptions: ages and interests, never its name."""
    cohort = brief.cohort
    ages, interests = templates.audience
    text = ages.format(age_min=cohort.age_min, age_max=cohort.age_max)
    if cohort.interests:
        text += interests.format(interests=", ".join(cohort.interests[:3]))
    return text


def _stable_index(text: str, modulo: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % modulo


class OfflineProvider(UsageLog):
    name = "offline"
    free = True
    model = "templates-v1"

    def _usage(self, operation: str, prompt: str, unit: str, output_units: int) -> None:
        self.record(
            Usage(
                provider=self.name,
                model=self.model,
                operation=operation,
                prompt=prompt[:2000],
                unit=unit,
                output_units=output_units,
            )
        )

    def _tone(self, brief: Brief) -> str:
        tone = brief.tone.strip().lower()
        return tone if tone in TONES else "friendly"

    def _objective(self, brief: Brief) -> str:
        objective = short_objective(brief.objective)
        return objective if objective in OBJECTIVES else "awareness"

    def button_label(self, brief: Brief) -> str:
        """Return the CTA button label in the brief's language (English as fallback)."""
        _language_code, templates, _note = _templates(brief)
        return templates.cta_labels.get(brief.cta.upper()) or cta_label(brief.cta)

    def write_scripts(self, brief: Brief, n: int, offset: int = 0) -> list[ScriptVariant]:
        """Return ``n`` distinct variants; the cohort's name decides where the rotation starts.

        ``offset`` moves along the rotation, so asking again for one variant (a regeneration)
        gives a different hook/body pair than the variants already written.
        """
        check_variant_count(n)
        language, templates, note = _templates(brief)
        tone, objective = self._tone(brief), self._objective(brief)
        hooks, bodies = templates.hooks[tone], templates.bodies[objective]
        start = _stable_index(brief.cohort.name, len(hooks))
        interests = brief.cohort.interests or (brief.product_name,)
        label = self.button_label(brief)
        tags = hashtags(brief, templates, tone)
        values = {
            "product": brief.product_name.strip(),
            "message": _sentence(brief.key_message),
            "offer": _sentence(brief.offer),
            "cta": label,
        }
        variants = []
        for i in range(offset, offset + n):
            # 5 hooks x 2 bodies: the pairs (i mod 5, (i mod 5 + i div 5) mod 2) are distinct for i < 10.
            # "with an interest|without one": cohorts with no interests get the second form.
            with_interest, _bar, general = hooks[(start + i) % len(hooks)].partition("|")
            template = with_interest if brief.cohort.interests else (general or with_interest)
            hook = template.format(**values, interest=interests[i % len(interests)])
            body = bodies[(i % len(hooks) + i // len(hooks)) % len(bodies)].format(**values)
            offer = templates.offer.format(**values) if values["offer"] else ""
            closer = templates.closers[objective].format(**values)
            on_screen = tuple(
                copyedit.shorten_by_rules(line, ON_SCREEN_CHARS)
                for line in (hook, values["message"], offer, label)
                if line
            )
            spoken = " ".join(part for part in (hook, body, offer, closer) if part)
            caption = " ".join(part for part in (hook, body, offer) if part)
            variants.append(
                copyedit.scrub_variant(
                    ScriptVariant(
                        hook=hook,
                        body=body,
                        cta=closer,
                        voiceover=spoken,
                        on_screen_text=on_screen,
                        caption=f"{caption}\n\n{' '.join(tags)}",
                        hashtags=tags,
                        language=language,
                        note=note,
                    ),
                    copyedit.internal_names(brief),
                )
            )
        self._usage(
            "write_scripts", repr(brief), "characters", sum(len(v.voiceover) for v in variants)
        )
        return variants

    def make_storyboard(self, brief: Brief, script: ScriptVariant) -> Storyboard:
        """Return hook, one scene per body sentence, the offer, and a CTA end card."""
        _language_code, templates, _note = _templates(brief)
        values = {
            "product": brief.product_name.strip(),
            "audience": _audience(brief, templates),
            "cta": self.button_label(brief),
        }

        def short(line: str) -> str:
            return copyedit.shorten_by_rules(line, ON_SCREEN_CHARS)

        scenes = [
            Scene(3.0, templates.visuals["hook"].format(**values), short(script.hook), script.hook)
        ]
        body_visual = templates.visuals["body"].format(**values)
        scenes.extend(
            Scene(4.0, body_visual, short(sentence), sentence)
            for sentence in re.split(r"(?<=[.!?])\s+", script.body.strip())
            if sentence
        )
        if brief.offer.strip():
            offer = templates.offer.format(offer=_sentence(brief.offer))
            scenes.append(Scene(3.0, templates.visuals["offer"].format(**values), offer, offer))
        scenes.append(
            Scene(3.0, templates.visuals["cta"].format(**values), values["cta"], script.cta)
        )
        storyboard = copyedit.scrub_storyboard(
            Storyboard(scenes=tuple(scenes)), copyedit.internal_names(brief)
        )
        self._usage("make_storyboard", repr(script), "scenes", len(scenes))
        return storyboard

    def make_image(
        self,
        brief: Brief,
        scene: Scene | None,
        size: tuple[int, int],
        headline: str,
        cta: str,
        logo: bytes | None = None,
        product_image: bytes | None = None,
    ) -> GeneratedImage:
        """Return a PNG of exactly ``size`` in the brand colours (see ``layout``).

        With a ``scene`` the image is a video frame: its bottom band stays free for captions.
        A headline too long for its box is shortened by ``shorten``'s rules.
        """
        image, _placement = layout.render_creative(
            size=size,
            colours=brief.brand_colours,
            headline=headline,
            cta=cta,
            logo=logo,
            product_image=product_image,
            video=scene is not None,
            shorten=lambda line, max_chars: self.shorten(brief, line, max_chars),
        )
        data = layout.encode_png(image)
        self._usage("make_image", headline, "images", 1)
        return GeneratedImage(data=data, format="png", width=size[0], height=size[1])

    def shorten(self, brief: Brief, text: str, max_chars: int) -> str:
        """Return ``text`` in at most ``max_chars`` characters, by rules (no ellipsis)."""
        shorter = copyedit.scrub(
            copyedit.shorten_by_rules(text, max_chars), copyedit.internal_names(brief)
        )
        self._usage("shorten", text, "characters", len(shorter))
        return shorter

    def speak(self, text: str, voice: str) -> Speech | None:
        """Return None: the offline provider has no voice (videos use captions and music)."""
        self._usage("speak", text, "characters", 0)
        return None

    def summarize(self, text: str) -> str:
        """Return the first sentences of ``text``, up to 280 characters (extractive, no model)."""
        clean = " ".join(text.split())
        summary = ""
        for sentence in re.split(r"(?<=[.!?])\s+", clean):
            if summary and len(summary) + 1 + len(sentence) > SUMMARY_CHARS:
                break
            summary = f"{summary} {sentence}".strip()
        summary = copyedit.shorten_by_rules(summary, SUMMARY_CHARS)
        self._usage("summarize", text, "characters", len(summary))
        return summary
