"""Numbers in the words people use: "9:16", "2 min 5 s", "8 MB", "25 Mbps".

Every user-facing message of the media library formats its numbers here, so the same
quantity always reads the same way.
"""

import math
from fractions import Fraction

# Ratios people know by name, tried when a width/height pair doesn't reduce to small numbers.
_NAMED_RATIOS: tuple[tuple[str, float], ...] = (
    ("9:16", 9 / 16),
    ("4:5", 4 / 5),
    ("1:1", 1.0),
    ("16:9", 16 / 9),
    ("1.91:1", 1.91),
    ("4:3", 4 / 3),
    ("3:4", 3 / 4),
    ("3:2", 3 / 2),
    ("2:3", 2 / 3),
    ("2:1", 2.0),
    ("1:2", 0.5),
    ("21:9", 21 / 9),
)
_NAMED_TOLERANCE = 0.01  # relative: 1080x1352 still reads as 4:5
_MIB = 1024 * 1024


def describe_aspect(width: int, height: int) -> str:
    """``1080, 1920`` → ``"9:16"``; ``1000, 523`` → ``"1.91:1"``; odd shapes → ``"2.35:1"``."""
    divisor = math.gcd(width, height) or 1
    small_w, small_h = width // divisor, height // divisor
    if small_w <= 32 and small_h <= 32:
        return f"{small_w}:{small_h}"
    return describe_ratio(width / height)


def describe_ratio(ratio: float | Fraction) -> str:
    """Name a limit's ratio: ``"9:16"`` when close to a common one, else ``"0.1:1"``."""
    value = float(ratio)
    for name, named in _NAMED_RATIOS:
        if abs(value / named - 1) <= _NAMED_TOLERANCE:
            return name
    return f"{_trim(value, 2)}:1"  # as Meta writes its limits: "0.01:1 to 10:1"


def format_duration(seconds: float, *, rounding: str = "nearest") -> str:
    """``90`` → ``"90 s"``, ``125`` → ``"2 min 5 s"``, ``900`` → ``"15 min"``, ``3660`` → ``"1 h 1 min"``.

    ``rounding`` ("down"/"up") keeps a value that breaks a limit from printing as the limit
    itself: 2.96 s against "at least 3 s" prints as "2.9 s", not "3 s".
    """
    if seconds < 120:
        return f"{_trim(_round(seconds * 10, rounding) / 10, 1)} s"
    hours, rest = divmod(_round(seconds, rounding), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


def format_bytes(size: int) -> str:
    """Binary units, as Meta writes its limits ("8 MB" = 8 MiB): ``"8 MB"``, ``"140.3 MB"``, ``"2 GB"``."""
    if size < 1024:
        return f"{size} bytes"
    if size < _MIB:
        return f"{_trim(size / 1024, 1)} KB"
    if size < 1024 * _MIB:
        return f"{_trim(size / _MIB, 1)} MB"
    return f"{_trim(size / (1024 * _MIB), 2)} GB"


def format_bitrate(bits_per_second: int) -> str:
    """``25_000_000`` → ``"25 Mbps"``, ``128_000`` → ``"128 kbps"``."""
    if bits_per_second >= 1_000_000:
        return f"{_trim(bits_per_second / 1_000_000, 1)} Mbps"
    return f"{_trim(bits_per_second / 1000, 0)} kbps"


def format_fps(fps: float) -> str:
    return f"{_trim(fps, 2)} fps"


def format_pixels(width: int, height: int) -> str:
    return f"{width:,} x {height:,} px"


def _round(value: float, rounding: str) -> int:
    # The epsilon keeps float noise (2.9999999) from flipping a floor or ceiling.
    if rounding == "down":
        return math.floor(value + 1e-9)
    if rounding == "up":
        return math.ceil(value - 1e-9)
    return round(value)


def _trim(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
