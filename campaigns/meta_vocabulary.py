"""Meta's marketing vocabulary: the one definition of each Meta enumeration ProSocial uses.

Owns:
    objectives (ODAX), call-to-action button types and special ad categories as
    ``TextChoices``, and the ad set settings that follow from them: the optimisation goal for
    each objective, the billing event and the bid strategy (GRAPH_NOTES §4.3, §4.4).

Invariants:
    - Every other product module imports these names; none spells Meta's values again
      (``tests/test_single_definitions.py`` fails if one does). ``meta_sandbox`` keeps its own
      lists on purpose: it plays Meta and imports nothing from the product.
    - Only Django's choices and translation are imported, so every app may use it: campaigns
      (the brief), creatives.studio (the AI brief) and publishing (posts and ads).
    - Values and labels are model field choices (``Campaign``, ``Publication``): changing one
      needs a migration.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Objective(models.TextChoices):
    """Meta's ODAX objectives (GRAPH_NOTES §4.4); a campaign's brief has one."""

    AWARENESS = "OUTCOME_AWARENESS", _("Awareness")
    TRAFFIC = "OUTCOME_TRAFFIC", _("Traffic")
    ENGAGEMENT = "OUTCOME_ENGAGEMENT", _("Engagement")
    LEADS = "OUTCOME_LEADS", _("Leads")
    SALES = "OUTCOME_SALES", _("Sales")


# The objectives ProSocial can run as an ad without a pixel or a lead form, labelled for the
# ad form: ``Publication.objective``'s choices.
AD_OBJECTIVE_CHOICES = [
    (Objective.AWARENESS.value, _("Awareness (reach people likely to remember it)")),
    (Objective.TRAFFIC.value, _("Traffic (clicks to the product URL)")),
    (Objective.ENGAGEMENT.value, _("Engagement (reactions, comments, shares)")),
    # These need setup ProSocial doesn't make yet; they are offered anyway (a campaign's brief
    # may ask for them) and preflight says what is missing (``OBJECTIVE_NEEDS``).
    (Objective.SALES.value, _("Sales (purchases on your site; needs a Meta pixel)")),
    (Objective.LEADS.value, _("Leads (sign-ups in an instant form; needs a lead form)")),
]

# The ad set's optimisation goal for each ad objective (GRAPH_NOTES §4.4, ODAX mapping).
OPTIMIZATION_GOALS: dict[str, str] = {
    Objective.AWARENESS: "REACH",
    Objective.TRAFFIC: "LINK_CLICKS",
    Objective.ENGAGEMENT: "POST_ENGAGEMENT",
    Objective.SALES: "OFFSITE_CONVERSIONS",
    Objective.LEADS: "LEAD_GENERATION",
}
# What an objective's optimisation goal needs in the ad set's ``promoted_object`` (GRAPH_NOTES
# §4.4 ODAX table, §4.5 ``promoted_object``), said as the missing setup.
# Plain text, as preflight's messages are (``publishing.checks``).
OBJECTIVE_NEEDS: dict[str, str] = {
    Objective.SALES: (
        "A Sales ad optimises for purchases that a Meta pixel on your site reports (Meta needs "
        "the pixel and its purchase event); ProSocial can't attach a pixel yet."
    ),
    Objective.LEADS: (
        "A Leads ad collects sign-ups in an instant form on the Facebook Page (Meta needs the "
        "Page and a lead form); ProSocial can't make lead forms yet."
    ),
}
DEFAULT_OPTIMIZATION_GOAL = OPTIMIZATION_GOALS[Objective.TRAFFIC]
BILLING_EVENT = "IMPRESSIONS"  # ProSocial's ad sets pay per impression
BID_STRATEGY = "LOWEST_COST_WITHOUT_CAP"  # Meta bids automatically; no bid amount to choose


class CallToAction(models.TextChoices):
    """A subset of Meta's CTA types (GRAPH_NOTES §4.3); labels are the English button text."""

    LEARN_MORE = "LEARN_MORE", _("Learn more")
    SHOP_NOW = "SHOP_NOW", _("Shop now")
    SIGN_UP = "SIGN_UP", _("Sign up")
    ORDER_NOW = "ORDER_NOW", _("Order now")
    GET_OFFER = "GET_OFFER", _("Get offer")
    BOOK_TRAVEL = "BOOK_TRAVEL", _("Book now")
    CONTACT_US = "CONTACT_US", _("Contact us")
    DOWNLOAD = "DOWNLOAD", _("Download")
    SUBSCRIBE = "SUBSCRIBE", _("Subscribe")
    WATCH_MORE = "WATCH_MORE", _("Watch more")
    APPLY_NOW = "APPLY_NOW", _("Apply now")


class SpecialAdCategory(models.TextChoices):
    """The categories an ad must declare (GRAPH_NOTES §4.3); they restrict its targeting."""

    EMPLOYMENT = "EMPLOYMENT", _("Employment")
    HOUSING = "HOUSING", _("Housing")
    CREDIT = "CREDIT", _("Credit")
    FINANCIAL = "FINANCIAL_PRODUCTS_SERVICES", _("Financial products and services")
    POLITICS = "ISSUES_ELECTIONS_POLITICS", _("Social issues, elections or politics")
    GAMBLING = "ONLINE_GAMBLING_AND_GAMING", _("Online gambling and gaming")


# "No special category applies", declared explicitly (GRAPH_NOTES §4.3).
NO_SPECIAL_AD_CATEGORY = "NONE"
