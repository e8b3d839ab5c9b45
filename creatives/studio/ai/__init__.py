"""AI providers behind one interface (``creatives.studio.ai.base.Provider``).

``get_provider()`` returns the OpenAI provider when ``OPENAI_API_KEY`` is set and the
offline one otherwise (STYLE §3.8: integrations switch on by presence). Pass a name to pick
one explicitly (a workspace's AI settings do), and model names to override the defaults.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from creatives.studio.ai.base import AIAuthError, AIError, Provider

PROVIDERS = ("offline", "openai")


def get_provider(name: str | None = None, **models: str) -> Provider:
    """Return a fresh provider: ``name`` if given, else openai with a key, else offline.

    ``models`` (``text_model``, ``image_model``, ``speech_model``) apply to OpenAI; empty
    values keep the defaults from the settings.
    """
    chosen = name or ("openai" if settings.OPENAI_API_KEY else "offline")
    if chosen == "offline":
        from creatives.studio.ai.offline import OfflineProvider

        return OfflineProvider()
    if chosen == "openai":
        if not settings.OPENAI_API_KEY:
            raise AIAuthError(_("OpenAI is not configured: set OPENAI_API_KEY."))
        # Imported here so the offline path never loads the SDK.
        from creatives.studio.ai.openai_provider import OpenAIProvider

        return OpenAIProvider.from_settings(**models)
    raise AIError(_("Unknown AI provider “%(name)s”.") % {"name": chosen})
