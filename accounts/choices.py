"""Choice lists for workspace settings."""

import zoneinfo

# Currencies Meta ad accounts can be billed in (a subset of ISO 4217 that covers Meta's list of
# supported ad-account currencies).
CURRENCIES = [
    ("USD", "USD — US dollar"),
    ("EUR", "EUR — Euro"),
    ("GBP", "GBP — British pound"),
    ("INR", "INR — Indian rupee"),
    ("AUD", "AUD — Australian dollar"),
    ("CAD", "CAD — Canadian dollar"),
    ("NZD", "NZD — New Zealand dollar"),
    ("SGD", "SGD — Singapore dollar"),
    ("HKD", "HKD — Hong Kong dollar"),
    ("JPY", "JPY — Japanese yen"),
    ("KRW", "KRW — South Korean won"),
    ("CNY", "CNY — Chinese yuan"),
    ("AED", "AED — UAE dirham"),
    ("SAR", "SAR — Saudi riyal"),
    ("ZAR", "ZAR — South African rand"),
    ("NGN", "NGN — Nigerian naira"),
    ("KES", "KES — Kenyan shilling"),
    ("BRL", "BRL — Brazilian real"),
    ("MXN", "MXN — Mexican peso"),
    ("ARS", "ARS — Argentine peso"),
    ("CLP", "CLP — Chilean peso"),
    ("COP", "COP — Colombian peso"),
    ("CHF", "CHF — Swiss franc"),
    ("SEK", "SEK — Swedish krona"),
    ("NOK", "NOK — Norwegian krone"),
    ("DKK", "DKK — Danish krone"),
    ("PLN", "PLN — Polish złoty"),
    ("CZK", "CZK — Czech koruna"),
    ("HUF", "HUF — Hungarian forint"),
    ("TRY", "TRY — Turkish lira"),
    ("ILS", "ILS — Israeli new shekel"),
    ("IDR", "IDR — Indonesian rupiah"),
    ("MYR", "MYR — Malaysian ringgit"),
    ("PHP", "PHP — Philippine peso"),
    ("THB", "THB — Thai baht"),
    ("VND", "VND — Vietnamese dong"),
    ("PKR", "PKR — Pakistani rupee"),
    ("BDT", "BDT — Bangladeshi taka"),
    ("EGP", "EGP — Egyptian pound"),
]


def timezone_choices() -> list[tuple[str, str]]:
    """Return every IANA time zone the system knows, sorted, as form choices."""
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]
