""" "Historique" pages: the row history (pghistory) of an object with the journal's business events.

A room's view picks what to show (``Events.objects.tracks(obj)`` or ``.references(obj)`` for the
object and the rows that point to it, and the journal entries about it) after the same access check
as the object's own page, then calls ``history_page``. Each line says when, who, and for a row
change which field went from which value to which, with the fields' French verbose names.

Cost: five queries per page whatever the number of events (two counts, the page's events, the
page's journal entries, their users). The two sources are merged by date; page ``n`` reads the
first ``n × per_page`` rows of each source, in one query each.
"""

import datetime
import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from core.enums import JournalAction
from core.formatting import format_date, format_number
from core.models import JournalEntry


PER_PAGE = 25
# Fields every row has, which say nothing to a reader.
HIDDEN_FIELDS = {"id", "created_at", "updated_at"}
# Reads are journaled (who from the ARS read what) but are not changes: not in the history.
READ_ACTIONS = (JournalAction.ARS_READ, JournalAction.DOCUMENT_DOWNLOADED)
SOURCES = {
    "finess_import": "import FINESS",
    "finess_closures_decide": "fermetures FINESS confirmées",
    "demo": "données de démonstration",
}
LABELS = {"insert": "Création", "update": "Modification", "delete": "Suppression"}


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass
class HistoryLine:
    at: datetime.datetime
    who: str
    what: str  # "Modification — établissement" or the journal action's label
    detail: str = ""
    changes: list[Change] = field(default_factory=list)
    is_event: bool = False  # a journal business event (not a row change)


def _fields_by_attname(model) -> dict[str, models.Field]:
    return {f.attname: f for f in model._meta.concrete_fields}


def display_value(model_field: models.Field | None, value) -> str:
    """A value of an event's JSON data, as a French reader reads it."""
    if value is None or value == "":
        return "—"
    if model_field is None:
        return str(value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return "oui" if value else "non"
    if isinstance(model_field, models.DateTimeField):
        parsed = parse_datetime(str(value))
        return format_date(parsed) if parsed else str(value)
    if isinstance(model_field, models.DateField):
        parsed = parse_date(str(value)[:10])
        return format_date(parsed) if parsed else str(value)
    if isinstance(model_field, models.DecimalField):
        try:
            number = decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            return str(value)
        return format_number(number, model_field.decimal_places)
    if isinstance(model_field, models.ForeignKey):
        return f"{model_field.related_model._meta.verbose_name} n° {value}"
    return str(value)


def _changes(model, event) -> list[Change]:
    by_attname = _fields_by_attname(model)
    if event.pgh_label == "insert":
        items = [(name, None, value) for name, value in (event.pgh_data or {}).items()]
        items = [item for item in items if item[2] not in (None, "", [], {})]
    else:
        items = [(name, old, new) for name, (old, new) in (event.pgh_diff or {}).items()]
    changes = []
    for name, old, new in items:
        if name in HIDDEN_FIELDS or name.startswith("pgh_"):
            continue
        model_field = by_attname.get(name)
        label = str(model_field.verbose_name) if model_field is not None else name
        changes.append(Change(label, display_value(model_field, old), display_value(model_field, new)))
    return sorted(changes, key=lambda change: change.field)


class MergedHistory(Sequence):
    """Row events and journal entries, newest first, as a sequence ``Paginator`` can slice."""

    def __init__(self, events: QuerySet, journal: QuerySet[JournalEntry]):
        self.events = events.order_by("-pgh_created_at", "-pgh_id")
        self.journal = journal.exclude(action__in=READ_ACTIONS).select_related("actor").order_by("-at", "-id")
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.events.count() + self.journal.count()
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop if index.stop is not None else len(self)
        if stop <= start:
            return []
        events = list(self.events[:stop])
        entries = list(self.journal[:stop])
        merged = sorted(
            [(event.pgh_created_at, 0, event) for event in events] + [(entry.at, 1, entry) for entry in entries],
            key=lambda item: (item[0], item[1]),
            reverse=True,
        )[start:stop]
        user_ids = {
            (event.pgh_context or {}).get("user") for _at, kind, event in merged if kind == 0 and event.pgh_context
        }
        users = get_user_model().objects.in_bulk([pk for pk in user_ids if pk])
        return [self._line(item, kind, users) for _at, kind, item in merged]

    @staticmethod
    def _line(item, kind: int, users: dict) -> HistoryLine:
        if kind == 1:
            return HistoryLine(
                at=item.at,
                who=str(item.actor) if item.actor else "la plateforme",
                what=item.get_action_display(),
                detail=item.target_repr,
                is_event=True,
            )
        context = item.pgh_context or {}
        user = users.get(context.get("user"))
        who = str(user) if user else SOURCES.get(context.get("source"), "la plateforme")
        model = apps.get_model(item.pgh_obj_model)
        what = f"{LABELS.get(item.pgh_label, item.pgh_label)} — {model._meta.verbose_name}"
        return HistoryLine(at=item.pgh_created_at, who=who, what=what, changes=_changes(model, item))


def history_page(*, events: QuerySet, journal: QuerySet[JournalEntry], page, per_page: int = PER_PAGE) -> Page:
    """The requested page (a number, or anything ``Paginator.get_page`` accepts) of an object's history."""
    return Paginator(MergedHistory(events, journal), per_page).get_page(page)
