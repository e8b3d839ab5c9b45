"""The offline provider: deterministic, network-free copy and designed images.

Copy comes from hand-written templates chosen by tone (playful, premium, urgent, friendly,
professional), Meta objective, cohort and language. The cohort's interests go into the lines
and its ages into the scene descriptions; its name is internal (a label for the team) and
only picks where the rotation starts: no template prints it, and ``copyedit.scrub`` removes
it should the brief's data carry it into a line. Templates exist for English and Spanish
only; any other language gets English, and every variant says so in ``note`` rather than
pretending. Same brief in, same output out.

*Make more like this* (``write_more_like``) keeps a winning variant's hook or body, its closing
line and its order, renewing the other part from the rotation; each new variant's note names
the variant and the results it followed.

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
from itertools import zip_longest

from django.utils.translation import gettext as _

from campaigns.meta_vocabulary import CallToAction
from creatives.studio.ai import copyedit, layout
from creatives.studio.ai.base import (
    MAX_SUGGESTIONS,
    MAX_VARIANTS,
    AIError,
    Brief,
    GeneratedImage,
    Scene,
    ScriptVariant,
    Speech,
    Storyboard,
    ThreadText,
    Usage,
    UsageLog,
    Winner,
    check_more_like_count,
    check_variant_count,
    cta_label,
    reply_limit,
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
        variants = self._rotation(brief, n, offset)
        self._usage(
            "write_scripts", repr(brief), "characters", sum(len(v.voiceover) for v in variants)
        )
        return variants

    def write_more_like(self, brief: Brief, winner: Winner, n: int) -> list[ScriptVariant]:
        """Return ``n`` (1-3) variants that each keep one part of the winner and renew the other.

        The winner's hook is what people stopped for and its body what kept them: the first
        variant keeps the hook with a new body, the second keeps the body with a new hook, and
        so on, alternating (new parts come from the brief's rotation, never the winner's own).
        Each keeps the winner's closing line and hashtags, in the winner's order (hook, body,
        offer, call to action), and its ``note`` names the variant and the results it followed.
        """
        check_more_like_count(n)
        language, templates, note = _templates(brief)
        model = winner.script
        pool = self._rotation(brief, MAX_VARIANTS, 0)
        hooks = list(dict.fromkeys(v.hook for v in pool if v.hook != model.hook))
        bodies = list(dict.fromkeys(v.body for v in pool if v.body != model.body))
        keep_hook = [(model.hook, body, "hook") for body in bodies]
        keep_body = [(hook, model.body, "body") for hook in hooks]
        plans = [plan for pair in zip_longest(keep_hook, keep_body) for plan in pair if plan]
        offer = templates.offer.format(offer=_sentence(brief.offer)) if brief.offer.strip() else ""
        label = self.button_label(brief)
        tags = model.hashtags or hashtags(brief, templates, self._tone(brief))
        followed = _("Modelled on variant %(n)d") % {"n": winner.number}
        if summary := winner.results.describe():
            followed += f" ({summary})"
        kept_notes = {
            "hook": _("%(followed)s: keeps its hook, with a new body."),
            "body": _("%(followed)s: keeps its body, with a new hook."),
        }
        variants = []
        for hook, body, kept in plans[:n]:
            spoken = " ".join(part for part in (hook, body, offer, model.cta) if part)
            caption = " ".join(part for part in (hook, body, offer) if part)
            on_screen = tuple(
                copyedit.shorten_by_rules(line, ON_SCREEN_CHARS)
                for line in (hook, _sentence(brief.key_message), offer, label)
                if line
            )
            variant_note = " ".join(
                part for part in (kept_notes[kept] % {"followed": followed}, note) if part
            )
            variants.append(
                copyedit.scrub_variant(
                    ScriptVariant(
                        hook=hook,
                        body=body,
                        cta=model.cta,
                        voiceover=spoken,
                        on_screen_text=on_screen,
                        caption=f"{caption}\n\n{' '.join(tags)}",
                        hashtags=tuple(tags),
                        language=language,
                        note=variant_note,
                    ),
                    copyedit.internal_names(brief),
                )
            )
        prompt = f"{brief!r}\nwinner: {model!r}\nresults: {winner.results.as_data()!r}"
        self._usage(
            "write_more_like", prompt, "characters", sum(len(v.voiceover) for v in variants)
        )
        return variants

    def _rotation(self, brief: Brief, n: int, offset: int) -> list[ScriptVariant]:
        """Return the ``n`` variants of the template rotation from ``offset`` (no usage)."""
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

    # -- inbox threads --

    def summarize_thread(self, thread: ThreadText, *, language: str = "en") -> str:
        """Return 3-5 sentences built from the thread: who, what they want, answers, what is open.

        English only (like every inbox template here); ``language`` is accepted for the
        interface's sake.
        """
        summary = " ".join(_summary_sentences(thread))
        self._usage("inbox_summary", thread.as_text(), "characters", len(summary))
        return summary

    def suggest_replies(
        self,
        thread: ThreadText,
        *,
        customer_name: str,
        business_name: str,
        website: str = "",
        language: str = "en",
        n: int = MAX_SUGGESTIONS,
    ) -> list[str]:
        """Return ``n`` drafts answering the customer's latest message, in English.

        The drafts answer what the message is (a complaint, a price, stock or delivery
        question, another question, a thanks), name its topic and the customer, point to the
        workspace's website when it has one, and move order details to a private message on a
        public comment. They promise to check rather than state a price or a date.
        """
        if not 1 <= n <= MAX_SUGGESTIONS:
            raise AIError(_("Ask for between 1 and %(max)d replies.") % {"max": MAX_SUGGESTIONS})
        drafts = _reply_drafts(thread, customer_name, business_name, website)
        start = _stable_index(thread.as_text(), len(drafts)) if len(drafts) > n else 0
        chosen = [drafts[(start + i) % len(drafts)] for i in range(n)]
        limit = reply_limit(thread.channel, thread.kind)
        replies = [copyedit.shorten_by_rules(draft, limit) for draft in chosen]
        self._usage("inbox_suggestions", thread.as_text(), "characters", sum(map(len, replies)))
        return replies


# --- Inbox threads: reading a customer's message, summaries and reply drafts -----------------
#
# Nothing here understands language; it reads signals a person would notice first: a question
# mark or a question word, words of complaint, thanks, and what a question is about (price,
# stock, delivery, opening hours). The *topic* is the first run of words in the message that
# are not function words or those signals ("Is the Ethiopian blend back?" → "Ethiopian blend").


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


QUOTE_CHARS = 120
QUESTION_STARTS = _words(
    "how what when where why who which whose is are am was were do does did can could will "
    "would should shall may might have has any anyone"
)
NEGATIVE_WORDS = _words(
    "broken broke bad terrible awful horrible worst disappointed disappointing disappointment "
    "refund angry rude wrong damaged late missing complaint complain unhappy poor "
    "scam useless faulty dirty stale burnt burned mouldy moldy leaking leaked cracked ripped "
    "overcharged unacceptable ridiculous annoyed upset furious hate sucks slow"
)
NEGATIVE_PHRASES = (
    "not working",
    "doesn't work",
    "does not work",
    "didn't work",
    "still waiting",
    "never arrived",
    "not happy",
    "not good",
    "no answer",
    "no reply",
    "waste of money",
)
THANKS_WORDS = _words(
    "thanks thank thx ty cheers appreciate appreciated grateful love loved lovely amazing "
    "awesome great delicious perfect fantastic wonderful excellent brilliant"
)
# What a question is about: the first family with a word in the message wins.
ASKS: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = (
    (
        "price",
        _words("price prices pricing cost costs much expensive cheap cheaper discount"),
        ("how much", "$", "€", "£"),
    ),
    (
        "availability",
        _words("stock available availability restock restocked sold left back"),
        ("do you have", "do you sell", "any left", "sold out"),
    ),
    (
        "delivery",
        _words("delivery deliver delivered shipping ship shipped tracking parcel package"),
        ("my order", "where is"),
    ),
    (
        "hours",
        _words("hours opening closing"),
        ("are you open", "open today", "open tomorrow", "what time"),
    ),
)
STOPWORDS = _words(
    "a an the and or but if so to of for with in on at by from up down out over about as into "
    "than then too very just really also still yet again here there this that these those it "
    "its it's i i'm i've i'd me my mine we we're our ours you you're your yours he she they them "
    "their his her is are am was were be been being do does did done doing have has had having "
    "can could will would should shall may might must not no yes yeah ok okay please hi hello "
    "hey dear guys team all any some anyone anything something everything one ever get got "
    "want wanted need needed like know let make made go going come came see saw look looking "
    "tell told say said ask asked how what when where why who which whose today tomorrow "
    "now soon already only much many more most back again arrived arrive came order ordered "
    "buy bought thing things lot bit way time day days week weeks month months ago minutes "
    "open closed agreed agree same true lol wow omg nice cool good interested info pls plz"
)
SIGNAL_WORDS = NEGATIVE_WORDS | THANKS_WORDS | frozenset().union(*(w for _n, w, _p in ASKS))
_WORD = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Reading:
    """What one customer message is, as far as its words show."""

    topic: str  # "Ethiopian blend", or "" when every word is a function word or a signal
    question: bool
    complaint: bool
    thanks: bool
    asks: str  # "price" | "availability" | "delivery" | "hours" | ""
    sentence: str  # the message's key sentence: its question, else its first sentence


def _has_any(lowered: str, words: set[str] | frozenset[str], phrases: tuple[str, ...]) -> bool:
    tokens = {t.strip("'-") for t in _WORD.findall(lowered)}
    return bool(tokens & words) or any(phrase in lowered for phrase in phrases)


def _topic(sentence: str) -> str:
    """Return the first run of up to three content words of ``sentence`` (as written).

    A lone word opening the sentence is often a verb or an exclamation ("Ignore …",
    "Agreed!"): a later run is preferred to it.
    """
    runs: list[list[str]] = [[]]
    for index, match in enumerate(_WORD.finditer(sentence)):
        word = match.group().strip("'-")
        lowered = word.lower()
        if len(word) < 3 or lowered in STOPWORDS or lowered in SIGNAL_WORDS:
            if runs[-1]:
                runs.append([])
            continue
        if len(runs[-1]) == 3:
            continue
        if index == 0 and not word.isupper():
            word = word[:1].lower() + word[1:]  # capitalised only because it starts the line
        runs[-1].append(f"{word}\0" if index == 0 else word)
    found = [run for run in runs if run]
    chosen = next((run for run in found if len(run) > 1 or not run[0].endswith("\0")), None)
    return " ".join(chosen or (found[0] if found else [])).replace("\0", "")


def read_message(text: str) -> Reading:
    """Return what ``text`` is: a question (and about what), a complaint, a thanks, its topic."""
    clean = " ".join(text.replace("\u2019", "'").split())  # a typographic apostrophe too
    lowered = clean.lower()
    sentences = [s for s in _SENTENCES.split(clean) if s.strip()] or [""]
    first_words = [(_WORD.findall(s.lower()) or [""])[0] for s in sentences]
    questions = [
        s for s, w in zip(sentences, first_words, strict=True) if "?" in s or w in QUESTION_STARTS
    ]
    key = questions[0] if questions else sentences[0]
    asks = next((name for name, words, phrases in ASKS if _has_any(lowered, words, phrases)), "")
    complaint = _has_any(lowered, NEGATIVE_WORDS, NEGATIVE_PHRASES)
    if complaint:
        key = next(
            (s for s in sentences if _has_any(s.lower(), NEGATIVE_WORDS, NEGATIVE_PHRASES)), key
        )
    topic = _topic(key) or next((t for t in map(_topic, sentences) if t), "")
    return Reading(
        topic=topic,
        question=bool(questions),
        complaint=complaint,
        thanks=_has_any(lowered, THANKS_WORDS, ()) and not complaint,
        asks=asks if questions or asks == "delivery" else "",
        sentence=key,
    )


def _quote(text: str, limit: int = QUOTE_CHARS, *, ends: bool = False) -> str:
    """Return ``text`` in curly quotes, cut at a word and marked "…" when longer than ``limit``.

    ``ends``: the quote ends a sentence, whose full stop replaces the quote's own "." or "!".
    """
    text = " ".join(text.split())
    if ends:
        text = text.rstrip(".!") or text
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.!?") + "…"
    return f"“{text}”"


def _the(topic: str) -> str:
    """Return "the coffee" for a common noun, "Ethiopian blend" for a name as written."""
    return f"the {topic}" if topic[:1].islower() else topic


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _channel_label(thread: ThreadText) -> str:
    return "Instagram" if thread.channel == "instagram" else "Facebook"


def _summary_sentences(thread: ThreadText) -> list[str]:
    customer = [m for m in thread.messages if m.from_customer]
    business = [m for m in thread.messages if not m.from_customer]
    # The customer is whoever opened the thread; others may join a comment thread.
    opener = customer[0].author if customer else ""
    name = opener or "A customer"
    total = len(thread.messages) + thread.omitted
    size = f"({total} {_plural(total, 'message', 'messages')})"
    if thread.kind == "dm":
        app = "an Instagram" if thread.channel == "instagram" else "a Messenger"
        who = f"{name} wrote in {app} conversation {size}"
    elif thread.kind == "mention":
        who = f"{name} mentioned the account on {_channel_label(thread)} {size}"
    else:
        post = f" under the post {_quote(thread.post_caption, 60)}" if thread.post_caption else ""
        who = f"{name} commented on {_channel_label(thread)}{post} {size}"
    others = {m.author for m in customer if m.author != opener}
    if others:
        who += f"; {len(others)} other {_plural(len(others), 'person', 'people')} joined in"
    sentences = [f"{who}."]

    own = [read_message(m.text) for m in customer if m.author == opener and m.text.strip()]
    sentences.append(_what_they_want(own))

    if business:
        last_answer = next((m.text for m in reversed(business) if m.text.strip()), "")
        times = {1: "once", 2: "twice"}.get(len(business), f"{len(business)} times")
        answered = f"The business answered {times}"
        sentences.append(
            f"{answered}, last: {_quote(last_answer, 90, ends=True)}."
            if last_answer
            else f"{answered}."
        )
    else:
        sentences.append("Nobody from the business has answered yet.")

    sentences.append(_what_is_open(thread))

    extras = []
    hidden = sum(m.hidden for m in thread.messages)
    if hidden:
        extras.append(
            f"{hidden} {_plural(hidden, 'message is', 'messages are')} hidden from the public"
        )
    pictures = sum(len(m.attachments) for m in customer)
    if pictures:
        extras.append(
            f"the customer sent {pictures} {_plural(pictures, 'attachment', 'attachments')}"
        )
    if thread.omitted:
        extras.append(
            f"the {thread.omitted} oldest {_plural(thread.omitted, 'message was', 'messages were')} not read"
        )
    if extras:
        text = "; ".join(extras)
        sentences.append(text[:1].upper() + text[1:] + ".")
    return sentences


def _what_they_want(readings: list[Reading]) -> str:
    if not readings:
        return "They sent no text, only attachments or reactions."
    complaint = next((r for r in readings if r.complaint), None)
    if complaint is not None:
        about = f" about {_the(complaint.topic)}" if complaint.topic else ""
        return f"They are unhappy{about}: {_quote(complaint.sentence, ends=True)}."
    asked = next((r for r in readings if r.asks), None)
    if asked is not None:
        topic = _the(asked.topic) if asked.topic else ""
        return {
            "price": f"They want to know the price of {topic}."
            if topic
            else "They asked about prices.",
            "availability": f"They asked whether {topic} is available."
            if topic
            else "They asked what is available.",
            "delivery": f"They asked about the delivery of {topic}."
            if topic
            else "They asked about a delivery.",
            "hours": "They asked about opening hours.",
        }[asked.asks]
    question = next((r for r in readings if r.question), None)
    if question is not None:
        return f"They asked: {_quote(question.sentence)}."
    if all(r.thanks for r in readings):
        topic = next((r.topic for r in readings if r.topic), "")
        return f"They thanked the team{f' for {_the(topic)}' if topic else ''}."
    first = readings[0]
    about = f" about {_the(first.topic)}" if first.topic else ""
    return f"They wrote{about}: {_quote(first.sentence, ends=True)}."


def _what_is_open(thread: ThreadText) -> str:
    last = next((m for m in reversed(thread.messages) if m.text.strip() or m.attachments), None)
    if last is None or not last.from_customer:
        return "The business had the last word: nothing is waiting for an answer."
    opener = next(m.author for m in thread.messages if m.from_customer)
    own = next(
        (m for m in reversed(thread.messages) if m.from_customer and m.author == opener), last
    )
    reading = read_message(own.text)
    if reading.complaint:
        return "Open: their latest message, a complaint, has no answer yet."
    if reading.question:
        return f"Open: their latest question, {_quote(reading.sentence, 90)}, has no answer yet."
    if reading.thanks:
        return "Their latest message is a thanks: nothing is open."
    return "Open: their latest message has no answer yet."


def _reply_drafts(
    thread: ThreadText, customer_name: str, business_name: str, website: str
) -> list[str]:
    """Return three drafts for the customer's latest message (see ``suggest_replies``)."""
    customer = [m for m in thread.messages if m.from_customer and m.text.strip()]
    opener = customer[0].author if customer else ""
    said = [read_message(m.text) for m in customer if m.author == opener]
    reading = said[-1] if said else read_message("")
    # "How much will it cost?" is about what the customer named before.
    subject = next((r.topic for r in reversed(said) if r.topic), "")
    name = customer_name.strip()
    hi = f"Hi {name}," if name else "Hi there,"
    thanks_name = f"Thanks, {name}" if name else "Thanks"
    thanks_for = f"Thanks, {name}, for" if name else "Thanks for"
    topic = _the(subject) if subject else ""
    public = thread.kind != "dm"
    team = f"the {business_name} team" if business_name else "our team"
    # Order details belong in a private message, never under a public post.
    details = (
        "Could you send us a private message with your order number"
        if public
        else "Could you send me your order number"
    )
    later = "in a private message" if public else "here"
    site = f" You can also see it on {website}." if website else ""

    if reading.complaint:
        about = f" about {topic}" if topic else ""
        return [
            f"{hi} I'm so sorry{about}. That's not the experience we want for you. "
            f"{details}, so we can put it right?",
            f"{thanks_for} telling us, and sorry{about}. We're looking into it now and "
            f"will get back to you {later} today.",
            f"Sorry to hear this, {name or 'and thank you for letting us know'}. "
            f"{details}? We'll sort it out.",
        ]
    if reading.asks == "price":
        what = topic or "it"
        pointer = (
            f"You'll find the current price on {website}."
            if website
            else (
                "We'll send you the current price in a private message."
                if public
                else "Let me check the current price and get right back to you."
            )
        )
        return [
            f"{hi} thanks for asking about {what}! {pointer}",
            f"{hi} good question! Let me check the latest price{f' of {topic}' if topic else ''} "
            "for you; "
            f"I'll reply {later} shortly.{site}",
            f"{thanks_for} your interest in {what}! {pointer}",
        ]
    if reading.asks == "availability":
        what = topic or "it"
        return [
            f"{hi} thanks for asking! Let me check whether {what} is in stock and get back to "
            f"you {later} shortly.",
            f"{hi} good question! You can see what's available right now on {website}."
            if website
            else f"{hi} good question! We're checking the stock of {what} for you now.",
            f"{thanks_for} your interest in {what}! We'll let you know {later} as soon "
            "as we know when it's available.",
        ]
    if reading.asks == "delivery":
        what = f"your {subject}" if subject[:1].islower() else "your order"
        return [
            f"{hi} thanks for your patience. {details}, so we can check where {what} is?",
            f"{hi} sorry for the wait! We'll look up {what} and get back to you {later} today.",
            f"{thanks_for} checking in. {details}? We'll track {what} down for you.",
        ]
    if reading.asks == "hours":
        return [
            f"{hi} thanks for asking! Our opening hours are on {website}."
            if website
            else f"{hi} thanks for asking! We'll send you our opening hours {later}.",
            f"{hi} good question! Let me confirm today's opening hours and get right back to you.",
            f"{thanks_for} asking! We'll reply {later} with our hours shortly.",
        ]
    if reading.question:
        about = f" about {topic}" if topic else ""
        return [
            f"{hi} thanks for your question{about}! Let me find out and get back to you {later} "
            "shortly.",
            f"{hi} good question! We're checking{about.replace(' about', ' on') if about else ''} "
            f"and will reply {later} soon.{site}",
            f"{thanks_for} asking! Someone from {team} will answer {later} shortly.",
        ]
    if reading.thanks:
        glad = f"We're so glad you enjoy {topic}" if topic else "We're so glad to hear it"
        return [
            f"Thank you so much, {name or 'for your kind words'}! {glad}.",
            f"That's lovely to hear{f', {name}' if name else ''}! Thanks for the kind words.",
            f"{thanks_name}! It means a lot to {team}.",
        ]
    about = f" about {topic}" if topic else ""
    return [
        f"{hi} thanks for your message{about}! How can we help?",
        f"{hi} thanks for reaching out{about}. Could you tell us a little more, so we can help?",
        f"{thanks_for} getting in touch! Someone from {team} will be with you {later} shortly.",
    ]
