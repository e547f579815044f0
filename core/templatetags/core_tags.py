"""Formatting filters only: no queries, no permissions."""

from django import template

from core import formatting


register = template.Library()


@register.filter
def date_fr(value):
    return formatting.format_date(value)


@register.filter
def money(value):
    return formatting.format_money(value)


@register.filter
def number_fr(value, decimals=0):
    return formatting.format_number(value, int(decimals))


@register.filter
def percent(value, decimals=2):
    return formatting.format_percent(value, int(decimals))
