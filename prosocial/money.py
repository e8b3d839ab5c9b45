"""Money in minor units: budgets are stored, and sent to Meta, in the currency's minor unit.

Meta takes ad budgets in minor units of the ad account's currency (cents for USD, whole yen
for JPY); briefs store their budget the same way. People type and read major units.
"""

from decimal import ROUND_HALF_UP, Decimal

# Currencies without a minor unit (ISO 4217 exponent 0): Meta takes budgets in whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"}
    | {"XAF", "XOF", "XPF"}
)


def currency_decimals(currency: str) -> int:
    """Return how many decimals the currency's minor unit has (0 for JPY, KRW…; else 2)."""
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Convert an amount in major units (12.34 USD) to minor units (1234)."""
    factor = Decimal(10) ** currency_decimals(currency)
    return int((amount * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major_units(minor: int, currency: str) -> Decimal:
    decimals = currency_decimals(currency)
    return (Decimal(minor) / (Decimal(10) ** decimals)).quantize(Decimal(1).scaleb(-decimals))


def format_amount(minor: int, currency: str) -> str:
    """Return a minor-unit amount as people read it: ``50000, "GBP"`` → "500.00 GBP"."""
    return f"{to_major_units(minor, currency):,} {currency.upper()}".strip()
