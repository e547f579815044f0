"""Reads of the functions room. Every list is scoped by groupement in the ORM, with a fixed number
of queries whatever the number of rows.

``legal_minimum_met`` is the one place that says whether a groupement meets the legal minimum of
pooled functions (L. 312-7-2 CASF); the compliance engine and every page read it from here.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from functions.catalogue import LEGAL_ARTICLE
from functions.models import (
    CostKey,
    FunctionType,
    GroupementFunction,
    KeyFigure,
    OtherCost,
    PostHours,
    SharedPost,
    Subscription,
)
from functions.sharing import ZERO, FunctionSplit, Share, YearSplit, function_inputs, split_function, year_split
from members.access import directed_establishments
from members.models import Groupement, LegalEntity, Membership


LEGAL_MINIMUM = 1


def _running_on(day: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_on__lte": day}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": day})
    )


# --- Legal minimum ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningFunction:
    function_id: int
    title: str
    type_name: str
    subscribers: int


@dataclass(frozen=True)
class LegalMinimum:
    """Whether a groupement runs, on ``on``, at least one of the seven legal functions for its members."""

    groupement_id: int
    on: datetime.date
    met: bool
    functions: tuple[RunningFunction, ...]
    article: str = LEGAL_ARTICLE
    minimum: int = LEGAL_MINIMUM

    @property
    def facts(self) -> dict:
        """The facts a compliance rule records with its result."""
        return {
            "on": self.on.isoformat(),
            "met": self.met,
            "minimum": self.minimum,
            "article": self.article,
            "functions": [
                {"id": f.function_id, "title": f.title, "type": f.type_name, "subscribers": f.subscribers}
                for f in self.functions
            ],
        }

    @property
    def summary(self) -> str:
        if self.met:
            names = ", ".join(f"« {f.title} » ({f.type_name.lower()})" for f in self.functions)
            return f"Minimum légal atteint : {names} ({self.article})."
        return (
            "Minimum légal non atteint : le groupement doit exercer pour ses membres au moins une des sept "
            f"fonctions prévues par la loi, avec au moins un membre adhérent ({self.article})."
        )


def legal_minimum_for(*, groupement_ids: Iterable[int], on: datetime.date | None = None) -> dict[int, LegalMinimum]:
    """``legal_minimum_met`` for several groupements in one query."""
    on = on or timezone.localdate()
    ids = list(groupement_ids)
    subscribed = Q(subscriptions__starts_on__lte=on) & (
        Q(subscriptions__ends_on__isnull=True) | Q(subscriptions__ends_on__gte=on)
    )
    rows = (
        GroupementFunction.objects.filter(
            _running_on(on), groupement_id__in=ids, function_type__counts_for_minimum=True
        )
        .annotate(subscriber_count=Count("subscriptions__legal_entity", filter=subscribed, distinct=True))
        .filter(subscriber_count__gt=0)
        .select_related("function_type")
        .order_by("groupement_id", "function_type__position", "title", "id")
    )
    running: dict[int, list[RunningFunction]] = defaultdict(list)
    for row in rows:
        running[row.groupement_id].append(
            RunningFunction(row.pk, row.title, row.function_type.name, row.subscriber_count)
        )
    return {
        gid: LegalMinimum(
            groupement_id=gid, on=on, met=len(running[gid]) >= LEGAL_MINIMUM, functions=tuple(running[gid])
        )
        for gid in ids
    }


def legal_minimum_met(groupement: Groupement, on: datetime.date | None = None) -> LegalMinimum:
    """L. 312-7-2 CASF: a GTSMS runs, on behalf of its members, at least one of the seven legal
    functions. Met on ``on`` when one function of a type that counts for the minimum runs that day
    with at least one member subscribed that day. Optional tools and the groupement's own kinds of
    function never count. One query; ``.met`` is the answer, ``.facts`` what it rests on."""
    return legal_minimum_for(groupement_ids=[groupement.pk], on=on)[groupement.pk]


# --- Catalogue page ---------------------------------------------------------------------------------


@dataclass
class CatalogueEntry:
    function_type: FunctionType
    functions: list[GroupementFunction] = field(default_factory=list)


@dataclass
class Catalogue:
    legal: list[CatalogueEntry]
    optional: list[CatalogueEntry]
    own: list[CatalogueEntry]
    minimum: LegalMinimum


def function_list(*, groupement: Groupement, on: datetime.date) -> QuerySet[GroupementFunction]:
    """The groupement's functions, with their current subscriber and post counts."""
    return (
        GroupementFunction.objects.filter(groupement=groupement)
        .select_related("function_type")
        .annotate(
            subscriber_count=Count(
                "subscriptions__legal_entity", filter=_running_on(on, "subscriptions__"), distinct=True
            ),
            post_count=Count("posts", filter=_running_on(on, "posts__"), distinct=True),
        )
        .order_by("title", "id")
    )


def function_catalogue(*, groupement: Groupement, on: datetime.date | None = None) -> Catalogue:
    """The catalogue (legal functions, optional tools, the groupement's own kinds) with what the
    groupement runs under each kind, and the legal-minimum fact. Three queries."""
    on = on or timezone.localdate()
    types = FunctionType.objects.filter(Q(groupement__isnull=True) | Q(groupement=groupement)).order_by(
        "position", "name"
    )
    entries = {t.pk: CatalogueEntry(function_type=t) for t in types}
    for function in function_list(groupement=groupement, on=on):
        function.running = function.starts_on <= on and (function.ends_on is None or function.ends_on >= on)
        entries[function.function_type_id].functions.append(function)
    values = list(entries.values())
    return Catalogue(
        legal=[e for e in values if e.function_type.counts_for_minimum],
        optional=[e for e in values if e.function_type.category == "OPTIONAL_TOOL"],
        own=[e for e in values if e.function_type.groupement_id is not None],
        minimum=legal_minimum_met(groupement, on),
    )


def function_types_for(*, groupement: Groupement) -> QuerySet[FunctionType]:
    return FunctionType.objects.filter(Q(groupement__isnull=True) | Q(groupement=groupement)).order_by(
        "position", "name"
    )


# --- Function page ----------------------------------------------------------------------------------


def function_get(*, groupement: Groupement, function_id: int) -> GroupementFunction:
    return GroupementFunction.objects.select_related("function_type").get(groupement=groupement, pk=function_id)


@dataclass
class FunctionDetail:
    function: GroupementFunction
    subscriptions: list[Subscription]
    posts: list[SharedPost]
    keys: list[CostKey]
    other_costs: list[OtherCost]
    split: FunctionSplit | None
    year: int


def function_detail(*, groupement: Groupement, function: GroupementFunction, year: int) -> FunctionDetail:
    """Everything the function's page shows, and its split for ``year`` (a fixed number of queries)."""
    subscriptions = list(
        function.subscriptions.select_related("legal_entity").order_by("legal_entity__name", "starts_on", "id")
    )
    posts = list(
        function.posts.select_related("lending_member")
        .prefetch_related(Prefetch("hours", queryset=_hours_qs(), to_attr="hours_list"))
        .order_by("starts_on", "job_title", "id")
    )
    keys = list(
        function.keys.prefetch_related(
            Prefetch(
                "figures", queryset=KeyFigure.objects.select_related("legal_entity").order_by("legal_entity__finess")
            )
        ).order_by("-year")
    )
    other_costs = list(function.other_costs.order_by("-year", "label", "id"))
    inputs = function_inputs(groupement=groupement, year=year, function_ids=[function.pk])
    split = split_function(inputs[0]) if inputs else None
    return FunctionDetail(function, subscriptions, posts, keys, other_costs, split, year)


def _hours_qs():
    return PostHours.objects.select_related("legal_entity").order_by("-year", "legal_entity__finess")


def subscribers_in_year(*, function: GroupementFunction, year: int) -> list[LegalEntity]:
    """The members subscribed to ``function`` at some day of ``year``, by FINESS (the key form's rows)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    ids = function.subscriptions.filter(starts_on__lte=last).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
    return list(LegalEntity.objects.filter(id__in=ids.values("legal_entity_id")).order_by("finess"))


def members_on(*, groupement: Groupement, day: datetime.date) -> list[LegalEntity]:
    """Members (not partners) of the groupement on ``day``: who may subscribe or lend staff."""
    ids = Membership.objects.filter(groupement=groupement).members().active_on(day).values("legal_entity_id")
    return list(LegalEntity.objects.filter(id__in=ids).order_by("name", "finess"))


# --- Portal -----------------------------------------------------------------------------------------


@dataclass
class PortalShare:
    function_title: str
    by_year: list[Share | None]  # one per ``PortalEntity.years``

    @property
    def explanation(self) -> str:
        """This year's explanation (the middle year), else that of the other year with a share."""
        this_year = self.by_year[1] if len(self.by_year) > 1 else None
        shares = [share for share in (this_year, *self.by_year) if share is not None]
        return shares[0].explanation if shares else ""


@dataclass
class PortalEntity:
    legal_entity: LegalEntity
    groupement: Groupement
    subscriptions: list[Subscription]
    years: list[int]
    shares: list[PortalShare]
    totals: list[Decimal]
    errors: list[str]


def _shares_of(split: YearSplit, finess: str) -> dict[int, Share]:
    return {f.function_id: share for f in split.functions if f.ok for share in f.shares if share.finess == finess}


def portal_years(day: datetime.date) -> list[int]:
    """Last year, this year, and next year (its budget is voted by 31 October, R. 314-64 et s. CASF)."""
    return [day.year - 1, day.year, day.year + 1]


def portal_functions_for_user(*, user, day: datetime.date | None = None) -> list[PortalEntity]:
    """For a member director: what each legal entity they direct subscribes to, and its share last
    year, this year and next year (once fixed), with the explanation. Queries grow with the number of
    groupements, not with the number of functions, members or subscriptions."""
    day = day or timezone.localdate()
    years = portal_years(day)
    establishments = directed_establishments(user)
    memberships = list(
        Membership.objects.filter(legal_entity_id__in=establishments.values("legal_entity_id"))
        .members()
        .active_on(day)
        .select_related("legal_entity", "groupement")
        .order_by("groupement__name", "legal_entity__name")
    )
    if not memberships:
        return []
    subscriptions = (
        Subscription.objects.filter(
            legal_entity_id__in=[m.legal_entity_id for m in memberships],
            function__groupement_id__in=[m.groupement_id for m in memberships],
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=datetime.date(years[0], 1, 1)))
        .select_related("function__function_type")
        .order_by("function__title", "starts_on")
    )
    by_pair: dict[tuple[int, int], list[Subscription]] = defaultdict(list)
    for subscription in subscriptions:
        by_pair[(subscription.function.groupement_id, subscription.legal_entity_id)].append(subscription)
    splits: dict[tuple[int, int], YearSplit] = {}
    subscribed_groupements = {groupement_id for groupement_id, _ in by_pair}
    for groupement in {m.groupement_id: m.groupement for m in memberships}.values():
        for year in years:
            splits[(groupement.pk, year)] = (
                year_split(groupement=groupement, year=year)
                if groupement.pk in subscribed_groupements
                else YearSplit(year=year)
            )
    result = []
    for membership in memberships:
        entity, groupement = membership.legal_entity, membership.groupement
        own = [_shares_of(splits[(groupement.pk, year)], entity.finess) for year in years]
        titles = {f.function_id: f.title for year in years for f in splits[(groupement.pk, year)].functions}
        function_ids = sorted({fid for shares in own for fid in shares}, key=lambda fid: (titles[fid], fid))
        shares = [PortalShare(titles[fid], [shares.get(fid) for shares in own]) for fid in function_ids]
        subscribed = {s.function_id for s in by_pair[(groupement.pk, entity.pk)]}
        errors = [
            f"« {f.title} » ({f.year}) : {f.error}"
            for year in years
            for f in splits[(groupement.pk, year)].errors
            if f.function_id in subscribed
        ]
        result.append(
            PortalEntity(
                legal_entity=entity,
                groupement=groupement,
                subscriptions=by_pair[(groupement.pk, entity.pk)],
                years=years,
                shares=shares,
                totals=[sum((share.amount for share in shares_.values()), ZERO) for shares_ in own],
                errors=errors,
            )
        )
    return result
