import datetime
from decimal import Decimal

from django.template import Context, Template

from core.formatting import format_date, format_money, format_number


def test_dates_in_french_words():
    assert format_date(datetime.date(2026, 11, 23)) == "23 novembre 2026"
    assert format_date(datetime.date(2026, 8, 1)) == "1er août 2026"
    assert format_date(None) == ""


def test_money_with_no_break_spaces():
    assert format_money(Decimal("1234.56")) == "1\u00a0234,56\u00a0€"
    assert format_money(Decimal("1234567.8")) == "1\u00a0234\u00a0567,80\u00a0€"
    assert format_money(-12) == "-12,00\u00a0€"
    assert format_money(Decimal("0.005")) == "0,01\u00a0€"


def test_numbers():
    assert format_number(1234) == "1\u00a0234"
    assert format_number(Decimal("12.345"), 2) == "12,35"


def test_filters_are_available_in_every_template():
    html = Template("{{ d|date_fr }} {{ m|money }}").render(
        Context({"d": datetime.date(2026, 11, 23), "m": Decimal("1234.56")})
    )
    assert html == "23 novembre 2026 1\u00a0234,56\u00a0€"


def test_a_timestamp_shows_the_date_in_paris():
    just_after_midnight_in_paris = datetime.datetime(2026, 11, 23, 23, 30, tzinfo=datetime.UTC)
    assert format_date(just_after_midnight_in_paris) == "24 novembre 2026"
