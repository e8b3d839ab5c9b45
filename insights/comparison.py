"""Comparing creatives and audiences: the rates a campaign page shows, and when one has won.

Pure functions over totals (no database, no Django): the campaign comparison adds up each
variant's or cohort's snapshots and hands them here.

A row's rates are ratios of its totals — CTR = clicks / impressions, CPC = spend / clicks,
cost per result = spend / results, engagement rate = engagements / reach — and are ``None``
(never 0) when the denominator is 0 or unknown: "no data" must not read as "bad".

**When is a difference more than noise?** Only the best row is ever marked, and only against
the runner-up, with a two-sided test at the 5 % level (the usual A/B-testing threshold):

- rates of people or impressions (CTR, engagement rate): a two-proportion z-test on the
  counts (clicks of impressions, engagements of reach), each row with at least
  ``MIN_TRIALS`` trials and both pooled outcomes at least ``MIN_EVENTS``, where the normal
  approximation holds;
- cost per result (lower is better): results are counted per unit of spend, so the two rows'
  results are compared as Poisson counts given their spend — conditional on the total, the
  best row's share is binomial with p = its share of the spend; the exact binomial tail gives
  the p-value (each row with at least ``MIN_EVENTS`` results in total);
- CPC likewise with clicks per spend.

Reach and spend themselves are never "won": they follow the budget, not the creative.
Otherwise the verdict says why no winner is marked ("too little data", "within noise").
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ALPHA = 0.05
MIN_TRIALS = 100  # impressions or reach per row before a rate is compared
MIN_EVENTS = 10  # clicks, engagements or results (pooled) before a test is trusted
EXACT_LIMIT = 5000  # above this many events the binomial tail is approximated


@dataclass(frozen=True)
class Totals:
    """What one variant or cohort got over the chosen range (None: Meta didn't say)."""

    key: str
    label: str
    impressions: int | None = None
    reach: int | None = None
    clicks: int | None = None
    engagements: int | None = None
    results: int | None = None
    spend: Decimal | None = None


def _ratio(top: float | Decimal | None, bottom: float | Decimal | None) -> float | None:
    if top is None or bottom is None or not bottom:
        return None
    return float(top) / float(bottom)


def ctr(row: Totals) -> float | None:
    return _ratio(row.clicks, row.impressions)


def cpc(row: Totals) -> float | None:
    return _ratio(row.spend, row.clicks)


def cost_per_result(row: Totals) -> float | None:
    return _ratio(row.spend, row.results)


def engagement_rate(row: Totals) -> float | None:
    return _ratio(row.engagements, row.reach)


@dataclass(frozen=True)
class Verdict:
    """Which row won on a metric, or why none is marked."""

    metric: str
    winner: str | None
    reason: str
    p_value: float | None = None


def _normal_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Return the two-sided p-value that x1/n1 and x2/n2 come from one rate (pooled z-test)."""
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0
    return _normal_two_sided((x1 / n1 - x2 / n2) / spread)


def _binomial_tail_two_sided(k: int, n: int, p: float) -> float:
    """Return the exact two-sided binomial p-value of ``k`` successes in ``n`` at rate ``p``."""

    def pmf(i: int) -> float:
        return math.exp(
            math.lgamma(n + 1)
            - math.lgamma(i + 1)
            - math.lgamma(n - i + 1)
            + (i * math.log(p) if i else 0.0)
            + ((n - i) * math.log(1 - p) if n - i else 0.0)
        )

    observed = pmf(k)
    # Sum every outcome at most as likely as the observed one (the standard two-sided exact test).
    return min(1.0, sum(q for i in range(n + 1) if (q := pmf(i)) <= observed * (1 + 1e-9)))


def poisson_rate_p(events1: int, exposure1: float, events2: int, exposure2: float) -> float:
    """Return the two-sided p-value that two Poisson counts share one rate per exposure."""
    total = events1 + events2
    if total == 0 or exposure1 <= 0 or exposure2 <= 0:
        return 1.0
    share = exposure1 / (exposure1 + exposure2)
    if total > EXACT_LIMIT:  # the normal approximation is exact enough, and O(1)
        return _normal_two_sided((events1 - total * share) / math.sqrt(total * share * (1 - share)))
    return _binomial_tail_two_sided(events1, total, share)


def _ranked(
    rows: Sequence[Totals], value: Callable[[Totals], float | None], *, lower_is_better: bool
) -> list[tuple[float, Totals]]:
    scored = [(v, row) for row in rows if (v := value(row)) is not None]
    return sorted(scored, key=lambda item: item[0], reverse=not lower_is_better)


def _proportion_verdict(
    metric: str,
    rows: Sequence[Totals],
    value: Callable[[Totals], float | None],
    counts: Callable[[Totals], tuple[int | None, int | None]],
) -> Verdict:
    ranked = _ranked(rows, value, lower_is_better=False)
    if len(ranked) < 2:
        return Verdict(metric, None, "Needs two rows with data to compare.")
    (_, best), (_, second) = ranked[0], ranked[1]
    x1, n1 = counts(best)
    x2, n2 = counts(second)
    if not (x1 is not None and n1 and x2 is not None and n2):
        return Verdict(metric, None, "Needs two rows with data to compare.")
    if min(n1, n2) < MIN_TRIALS or x1 + x2 < MIN_EVENTS or (n1 + n2) - (x1 + x2) < MIN_EVENTS:
        return Verdict(metric, None, "Too little data yet to tell.")
    p = two_proportion_p(x1, n1, x2, n2)
    if p >= ALPHA:
        return Verdict(metric, None, "Within noise: no clear winner yet.", p)
    return Verdict(metric, best.key, f"{best.label} is ahead beyond noise.", p)


def _cost_verdict(
    metric: str,
    rows: Sequence[Totals],
    value: Callable[[Totals], float | None],
    events: Callable[[Totals], int | None],
) -> Verdict:
    ranked = _ranked(rows, value, lower_is_better=True)
    if len(ranked) < 2:
        return Verdict(metric, None, "Needs two rows with data to compare.")
    (_, best), (_, second) = ranked[0], ranked[1]
    e1, e2 = events(best) or 0, events(second) or 0
    if e1 + e2 < MIN_EVENTS or best.spend is None or second.spend is None:
        return Verdict(metric, None, "Too little data yet to tell.")
    p = poisson_rate_p(e1, float(best.spend), e2, float(second.spend))
    if p >= ALPHA:
        return Verdict(metric, None, "Within noise: no clear winner yet.", p)
    return Verdict(metric, best.key, f"{best.label} is ahead beyond noise.", p)


def compare(rows: Sequence[Totals]) -> dict[str, Verdict]:
    """Return the verdict per compared metric for ``rows`` (variants or cohorts)."""
    return {
        "ctr": _proportion_verdict("ctr", rows, ctr, lambda r: (r.clicks, r.impressions)),
        "engagement_rate": _proportion_verdict(
            "engagement_rate", rows, engagement_rate, lambda r: (r.engagements, r.reach)
        ),
        "cost_per_result": _cost_verdict(
            "cost_per_result", rows, cost_per_result, lambda r: r.results
        ),
        "cpc": _cost_verdict("cpc", rows, cpc, lambda r: r.clicks),
    }
