"""The comparison maths on fixed data: rates, None for no data, and winners only beyond noise."""

from decimal import Decimal

import pytest

from insights.comparison import (
    Totals,
    compare,
    cost_per_result,
    cpc,
    ctr,
    engagement_rate,
    poisson_rate_p,
    two_proportion_p,
)


def test_rates_are_ratios_of_totals_and_none_without_a_denominator():
    row = Totals("a", "A", impressions=2000, reach=1500, clicks=50, engagements=120, results=10,
                 spend=Decimal("25.00"))  # fmt: skip
    empty = Totals("b", "B", impressions=0, reach=None, clicks=0, results=0, spend=Decimal("3"))

    assert ctr(row) == pytest.approx(0.025)
    assert cpc(row) == pytest.approx(0.5)
    assert cost_per_result(row) == pytest.approx(2.5)
    assert engagement_rate(row) == pytest.approx(0.08)
    assert (ctr(empty), cpc(empty), cost_per_result(empty), engagement_rate(empty)) == (None,) * 4


def test_two_proportion_p_matches_a_textbook_value():
    # 200/1000 vs 150/1000: z = 2.93, two-sided p = 0.0034 (pooled z-test).
    assert two_proportion_p(200, 1000, 150, 1000) == pytest.approx(0.0034, abs=0.0002)
    assert two_proportion_p(100, 1000, 100, 1000) == pytest.approx(1.0)


def test_poisson_rate_p_is_the_exact_conditional_binomial():
    # Equal spend, 30 vs 10 results: P(X in the tails | n=40, p=0.5) = 0.0022.
    assert poisson_rate_p(30, 100.0, 10, 100.0) == pytest.approx(0.0022, abs=0.0002)
    # Twice the spend for twice the results is the same rate.
    assert poisson_rate_p(20, 200.0, 10, 100.0) == pytest.approx(1.0)


def test_large_counts_use_the_normal_approximation_and_agree_with_it():
    p = poisson_rate_p(5200, 1000.0, 4800, 1000.0)  # 10,000 events: z = 4.0

    assert p == pytest.approx(6.3e-5, rel=0.05)


def test_a_clear_ctr_winner_is_marked():
    rows = [
        Totals("v1", "Variant 1", impressions=10_000, clicks=300),
        Totals("v2", "Variant 2", impressions=10_000, clicks=200),
        Totals("v3", "Variant 3", impressions=10_000, clicks=150),
    ]

    verdict = compare(rows)["ctr"]

    assert verdict.winner == "v1"
    assert verdict.p_value < 0.05
    assert verdict.reason == "Variant 1 is ahead beyond noise."


def test_a_small_lead_within_noise_marks_no_winner():
    rows = [
        Totals("v1", "Variant 1", impressions=1000, clicks=22),
        Totals("v2", "Variant 2", impressions=1000, clicks=20),
    ]

    verdict = compare(rows)["ctr"]

    assert verdict.winner is None
    assert verdict.reason == "Within noise: no clear winner yet."


def test_too_little_data_says_so_instead_of_guessing():
    rows = [
        Totals("v1", "Variant 1", impressions=50, clicks=10),
        Totals("v2", "Variant 2", impressions=5000, clicks=5),
    ]

    assert compare(rows)["ctr"].reason == "Too little data yet to tell."
    assert compare(rows[:1])["ctr"].reason == "Needs two rows with data to compare."


def test_the_cheapest_cost_per_result_wins_only_beyond_noise():
    cheap = Totals("young", "18-24", results=60, spend=Decimal("120.00"))
    dear = Totals("older", "35-44", results=25, spend=Decimal("125.00"))
    close = Totals("mid", "25-34", results=55, spend=Decimal("121.00"))

    clear = compare([cheap, dear])["cost_per_result"]
    unclear = compare([cheap, close])["cost_per_result"]

    assert clear.winner == "young"
    assert clear.p_value < 0.01
    assert unclear.winner is None


def test_a_row_without_data_is_left_out_not_counted_as_zero():
    rows = [
        Totals("v1", "Variant 1", impressions=10_000, clicks=300),
        Totals("v2", "Variant 2", impressions=None, clicks=None),
        Totals("v3", "Variant 3", impressions=10_000, clicks=100),
    ]

    assert compare(rows)["ctr"].winner == "v1"
    assert compare(rows)["engagement_rate"].reason == "Needs two rows with data to compare."
