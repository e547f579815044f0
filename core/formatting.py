"""French formatting for screens and documents: dates in words, money and numbers with no-break spaces."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone


NBSP = "\u00a0"
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def format_date(value: datetime.date | datetime.datetime | None) -> str:
    """23 novembre 2026; the 1st of a month is written « 1er »."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)  # the date in Paris, not in UTC
        value = value.date()
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def format_number(value: Decimal | int | float | None, decimals: int = 0) -> str:
    """1 234,5 with no-break spaces between thousands and a decimal comma."""
    if value is None:
        return ""
    quantum = Decimal(1).scaleb(-decimals)
    number = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    integer, _, fraction = f"{abs(number):f}".partition(".")
    groups = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    text = NBSP.join(groups)
    return f"{sign}{text},{fraction}" if fraction else f"{sign}{text}"


def format_money(value: Decimal | int | float | None) -> str:
    """1 234,56 € (two decimals, no-break spaces)."""
    if value is None:
        return ""
    return f"{format_number(value, 2)}{NBSP}€"


def format_percent(value: Decimal | int | float | None, decimals: int = 2) -> str:
    if value is None:
        return ""
    return f"{format_number(value, decimals)}{NBSP}%"
