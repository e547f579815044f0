"""The yearly cost sharing of a groupement's functions: one computation, in one place.

For a year, each function's cost is

* its shared posts' cost, each **pro rata of the days the post is active in the year**
  (``yearly cost × days active / days in the year``, rounded to the cent), plus
* its other costs of the year (licences, purchases…),

split between the members subscribed that year. A member's weight is **its days subscribed in the
year** (its subscriptions within its membership of the groupement) times its factor under the key:
1 for equal shares, its stated yearly figure for a pro-rata key (places, budget, FTE, days of
activity), its percentage for fixed percentages. A post split by stated hours first charges each
member its hours' part of the post's time (``hours / (FTE × 1 607 h)``); the time no member stated
is shared by the key with the rest.

Exact to the cent: each share is computed as an exact fraction, floored to the cent, and the cents
left over (fewer than the number of members) go one each to the largest remainders, ties broken by
FINESS number (smallest first). So shares always add up to the cost, never go negative, a member
whose exact share is zero pays zero, and the same inputs in any order give the same split.

``split_function`` is the pure computation (tested with hypothesis); ``year_split`` reads a
groupement's year from the database (a fixed number of queries) and applies it to every function.
"""

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Prefetch, Q

from core.formatting import format_money, format_number, format_percent
from functions.enums import FigureKind, KeyMethod, PostMode, PostSplit
from functions.models import (
    ANNUAL_HOURS_PER_FTE,
    CostKey,
    GroupementFunction,
    KeyFigure,
    OtherCost,
    PostHours,
    SharedPost,
    Subscription,
)
from members.models import Groupement, Membership


CENT = Decimal("0.01")
ZERO = Decimal("0.00")

FIGURE_UNITS = {
    FigureKind.PLACES: "places",
    FigureKind.BUDGET: "€ de budget",
    FigureKind.FTE: "ETP",
    FigureKind.DAYS: "journées",
}


# --- Inputs and results -----------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriberInput:
    """A member subscribed during the year: its days subscribed and its value under the key."""

    finess: str
    name: str
    days: int
    figure: Decimal | None = None  # pro-rata figure or percentage; None when not stated
    source: str = ""


@dataclass(frozen=True)
class PostInput:
    label: str
    yearly_cost: Decimal
    days_active: int
    fte: Decimal = Decimal(1)
    split: str = PostSplit.KEY
    hours: tuple[tuple[str, Decimal], ...] = ()  # (FINESS, stated hours) for a post split by hours
    lender_finess: str = ""
    lender_name: str = ""


@dataclass(frozen=True)
class FunctionInput:
    function_id: int
    title: str
    year: int
    method: str | None  # KeyMethod, or None when no key is set for the year
    figure_kind: str = ""
    key_act: str = ""
    subscribers: tuple[SubscriberInput, ...] = ()
    posts: tuple[PostInput, ...] = ()
    other_costs: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class PostLine:
    label: str
    yearly_cost: Decimal
    days_active: int
    cost: Decimal
    explanation: str
    lender_finess: str = ""
    lender_name: str = ""


@dataclass(frozen=True)
class Share:
    finess: str
    name: str
    amount: Decimal
    days: int
    figure: Decimal | None
    explanation: str


@dataclass
class FunctionSplit:
    function_id: int
    title: str
    year: int
    key_label: str
    cost: Decimal
    posts: list[PostLine]
    other_costs: list[tuple[str, Decimal]]
    shares: list[Share]
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class MemberTotal:
    finess: str
    name: str
    amount: Decimal = ZERO
    reimbursed: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.amount - self.reimbursed


@dataclass
class YearSplit:
    year: int
    functions: list[FunctionSplit] = field(default_factory=list)
    members: list[MemberTotal] = field(default_factory=list)

    @property
    def errors(self) -> list[FunctionSplit]:
        return [split for split in self.functions if split.error]

    @property
    def total(self) -> Decimal:
        return sum((split.cost for split in self.functions if split.ok), ZERO)

    def as_contract(self) -> dict:
        """The JSON contract of ``manage.py cost_sharing --format json`` (amounts as two-decimal strings)."""
        return {
            "year": self.year,
            "functions": [
                {
                    "function": split.title,
                    "cost": f"{split.cost:.2f}",
                    "shares": {share.finess: f"{share.amount:.2f}" for share in split.shares},
                }
                for split in self.functions
                if split.ok
            ],
            "members": {member.finess: f"{member.amount:.2f}" for member in self.members},
        }


# --- Rules ------------------------------------------------------------------------------------


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def overlap_days(start: datetime.date, end: datetime.date | None, year: int) -> int:
    """Days of ``[start, end]`` (both included; ``end`` None: open) that fall in ``year``."""
    first = max(start, datetime.date(year, 1, 1))
    last = min(end or datetime.date(year, 12, 31), datetime.date(year, 12, 31))
    return max(0, (last - first).days + 1)


def _cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


def post_cost_in_year(post: PostInput, year: int) -> Decimal:
    """A post's cost in the year: its yearly cost pro rata of its days active, rounded to the cent."""
    return _cents(Fraction(post.yearly_cost) * post.days_active / days_in_year(year))


def post_hours_capacity(fte: Decimal, days_active: int, year: int) -> Fraction:
    """The working hours of a post in the year: FTE × 1 607 h, pro rata of its days active."""
    return Fraction(fte) * Fraction(ANNUAL_HOURS_PER_FTE) * days_active / days_in_year(year)


def largest_remainder(total: Decimal, exact: dict[str, Fraction]) -> dict[str, Decimal]:
    """Round exact shares (summing to ``total``) to the cent so that they sum to ``total`` exactly.

    Each share is floored to the cent; the cents left over go one each to the largest remainders,
    ties broken by FINESS number, smallest first.
    """
    total_cents = int((total / CENT).to_integral_value())
    floors = {finess: (value * 100).numerator // (value * 100).denominator for finess, value in exact.items()}
    left = total_cents - sum(floors.values())
    order = sorted(exact, key=lambda finess: (-(exact[finess] * 100 - floors[finess]), finess))
    for finess in order[:left]:
        floors[finess] += 1
    return {finess: Decimal(cents) * CENT for finess, cents in floors.items()}


def figure_name(figure_kind: str) -> str:
    """« nombre de places », « effectif (ETP) »…: the figure's label inside a sentence."""
    label = str(FigureKind(figure_kind).label)
    return label[:1].lower() + label[1:]


def key_label(method: str | None, figure_kind: str = "") -> str:
    if method is None:
        return "aucune clé fixée"
    if method == KeyMethod.FIGURE:
        return f"au prorata : {figure_name(figure_kind)}"
    return KeyMethod(method).label.lower()


def _figure_text(value: Decimal, figure_kind: str) -> str:
    decimals = 0 if value == value.to_integral_value() else 2
    return f"{format_number(value, decimals)} {FIGURE_UNITS[FigureKind(figure_kind)]}"


def _check_key(function: FunctionInput, subscribers: Sequence[SubscriberInput]) -> str:
    """What makes the key unusable for these subscribers, in French ('' when it is fine)."""
    if function.method is None:
        return f"Aucune clé de répartition n'est fixée pour {function.year} : le coût ne peut pas être réparti."
    if function.method in (KeyMethod.FIGURE, KeyMethod.PERCENT):
        what = figure_name(function.figure_kind) if function.method == KeyMethod.FIGURE else "pourcentage"
        for subscriber in subscribers:
            if subscriber.figure is None:
                return (
                    f"Clé de répartition {function.year} : le chiffre « {what} » de « {subscriber.name} » "
                    f"({subscriber.finess}) n'est pas renseigné."
                )
    if function.method == KeyMethod.PERCENT:
        total = sum((subscriber.figure or ZERO for subscriber in subscribers), ZERO)
        if total != 100:
            return (
                f"Clé de répartition {function.year} : les pourcentages des membres adhérents totalisent "
                f"{format_percent(total, 2)} au lieu de 100 %."
            )
    return ""


def split_function(function: FunctionInput) -> FunctionSplit:
    """Split one function's cost of one year between its subscribers (see the module docstring)."""
    year = function.year
    subscribers = sorted((s for s in function.subscribers if s.days > 0), key=lambda s: s.finess)
    by_finess = {s.finess: s for s in subscribers}
    ordered_posts = sorted(
        function.posts, key=lambda p: (p.label, p.yearly_cost, p.days_active, p.lender_finess, p.split, p.hours)
    )
    posts = []
    for post in ordered_posts:
        cost = post_cost_in_year(post, year)
        explanation = (
            f"{format_money(post.yearly_cost)} par an × {post.days_active} jours actifs / {days_in_year(year)} jours"
        )
        if post.lender_finess:
            explanation += (
                f" ; mis à disposition par {post.lender_name}, remboursé de {format_money(cost)} "
                "(art. L. 312-7 3° CASF)"
            )
        posts.append(
            PostLine(
                label=post.label,
                yearly_cost=post.yearly_cost,
                days_active=post.days_active,
                cost=cost,
                explanation=explanation,
                lender_finess=post.lender_finess,
                lender_name=post.lender_name,
            )
        )
    others = sorted(function.other_costs)
    cost = sum((line.cost for line in posts), ZERO) + sum((amount for _, amount in others), ZERO)
    result = FunctionSplit(
        function_id=function.function_id,
        title=function.title,
        year=year,
        key_label=key_label(function.method, function.figure_kind),
        cost=cost,
        posts=posts,
        other_costs=others,
        shares=[],
    )
    if cost == 0:
        result.shares = [
            Share(s.finess, s.name, ZERO, s.days, s.figure, "Aucun coût cette année.") for s in subscribers
        ]
        return result
    if not subscribers:
        result.error = f"Aucun membre n'adhère à cette fonction en {year} : son coût ne peut pas être réparti."
        return result

    exact: dict[str, Fraction] = defaultdict(Fraction)
    notes: dict[str, list[str]] = defaultdict(list)
    pool = Fraction(sum((amount for _, amount in others), ZERO))
    for post, line in zip(ordered_posts, posts, strict=True):
        post_cost = Fraction(line.cost)
        if post.split != PostSplit.HOURS:
            pool += post_cost
            continue
        capacity = post_hours_capacity(post.fte, post.days_active, year)
        if capacity == 0:  # a post active no day of the year costs nothing
            pool += post_cost
            continue
        stated = sum((Fraction(hours) for _, hours in post.hours), Fraction(0))
        if stated > capacity:
            result.error = (
                f"Poste « {post.label} » : {format_number(Decimal(stated.numerator) / stated.denominator, 1)} heures "
                f"déclarées pour {format_number(Decimal(capacity.numerator) / capacity.denominator, 1)} heures de "
                "temps de travail dans l'année : le temps d'un poste ne peut pas être réparti au-delà de 100 %."
            )
            return result
        for finess, hours in sorted(post.hours):
            if finess not in by_finess:
                result.error = (
                    f"Poste « {post.label} » : des heures sont déclarées pour le membre {finess}, qui n'adhère pas "
                    f"à la fonction en {year}."
                )
                return result
            part = post_cost * Fraction(hours) / capacity
            exact[finess] += part
            notes[finess].append(
                f"poste « {post.label} » : {format_number(hours, 1)} h sur "
                f"{format_number(Decimal(capacity.numerator) / capacity.denominator, 1)} h, "
                f"soit {format_money(_cents(part))}"
            )
        pool += post_cost * (1 - stated / capacity)

    if pool > 0:
        problem = _check_key(function, subscribers)
        if problem:
            result.error = problem
            return result
        factors = {
            s.finess: Fraction(1) if function.method == KeyMethod.EQUAL else Fraction(s.figure or 0)
            for s in subscribers
        }
        weights = {s.finess: factors[s.finess] * s.days for s in subscribers}
        total_weight = sum(weights.values(), Fraction(0))
        if total_weight == 0:
            result.error = (
                f"Clé de répartition {year} : les chiffres de tous les membres adhérents sont nuls, le coût ne peut "
                "pas être réparti."
            )
            return result
        for s in subscribers:
            part = pool * weights[s.finess] / total_weight
            exact[s.finess] += part
            ratio = weights[s.finess] / total_weight * 100
            ratio_text = format_percent(Decimal(ratio.numerator) / Decimal(ratio.denominator), 2)
            if function.method == KeyMethod.EQUAL:
                basis = f"{s.days} jours d'adhésion"
            elif function.method == KeyMethod.FIGURE:
                source = f" (source : {s.source})" if s.source else ""
                basis = f"{_figure_text(s.figure, function.figure_kind)}{source} × {s.days} jours d'adhésion"
            else:
                source = f" (source : {s.source})" if s.source else ""
                basis = f"{format_percent(s.figure, 2)}{source} × {s.days} jours d'adhésion"
            notes[s.finess].insert(
                0, f"clé « {result.key_label} » : {basis}, soit {ratio_text} de {format_money(_cents(pool))}"
            )

    rounded = largest_remainder(cost, {s.finess: exact[s.finess] for s in subscribers})
    for s in subscribers:
        explanation = " ; ".join(notes[s.finess]) or "aucune part"
        adjustment = rounded[s.finess] - _floor_cents(exact[s.finess])
        if adjustment:
            explanation += f" ; arrondi au centime : +{format_money(adjustment)} (plus fort reste)"
        result.shares.append(
            Share(
                finess=s.finess,
                name=s.name,
                amount=rounded[s.finess],
                days=s.days,
                figure=s.figure,
                explanation=explanation[:1].upper() + explanation[1:] + ".",
            )
        )
    return result


def _floor_cents(value: Fraction) -> Decimal:
    scaled = value * 100
    return Decimal(scaled.numerator // scaled.denominator) * CENT


def combine(year: int, splits: Iterable[FunctionSplit]) -> YearSplit:
    """Each member's total of a year (shares of the functions that could be split), and what the
    lending members are reimbursed for the posts they made available."""
    result = YearSplit(year=year, functions=list(splits))
    totals: dict[str, MemberTotal] = {}
    for split in result.functions:
        if not split.ok:
            continue
        for share in split.shares:
            total = totals.setdefault(share.finess, MemberTotal(share.finess, share.name))
            total.amount += share.amount
        for post in split.posts:
            if post.lender_finess:
                total = totals.setdefault(post.lender_finess, MemberTotal(post.lender_finess, post.lender_name))
                total.reimbursed += post.cost
    result.members = sorted(totals.values(), key=lambda member: member.finess)
    return result


# --- Reading a groupement's year ----------------------------------------------------------------


def _membership_days(subscription: Subscription, memberships: list[Membership], year: int) -> int:
    """Days of the subscription in the year during which the entity was a member (not a partner)."""
    days = 0
    for membership in memberships:
        start = max(subscription.starts_on, membership.admitted_on)
        ends = [
            d for d in (subscription.ends_on, membership.left_on and membership.left_on - datetime.timedelta(1)) if d
        ]
        end = min(ends) if ends else None
        if end is not None and end < start:
            continue
        days += overlap_days(start, end, year)
    return days


def function_inputs(
    *, groupement: Groupement, year: int, function_ids: Sequence[int] | None = None
) -> list[FunctionInput]:
    """The inputs of ``split_function`` for the groupement's functions active in ``year`` (6 queries)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    in_year = Q(starts_on__lte=last) & (Q(ends_on__isnull=True) | Q(ends_on__gte=first))
    memberships = Membership.objects.filter(groupement=groupement).members().order_by("admitted_on")
    functions = (
        GroupementFunction.objects.filter(in_year, groupement=groupement)
        .prefetch_related(
            Prefetch(
                "subscriptions",
                queryset=Subscription.objects.filter(in_year)
                .select_related("legal_entity")
                .prefetch_related(
                    Prefetch("legal_entity__memberships", queryset=memberships, to_attr="group_memberships")
                ),
                to_attr="year_subscriptions",
            ),
            Prefetch(
                "posts",
                queryset=SharedPost.objects.filter(in_year)
                .select_related("lending_member")
                .prefetch_related(
                    Prefetch(
                        "hours",
                        queryset=PostHours.objects.filter(year=year).select_related("legal_entity"),
                        to_attr="year_hours",
                    )
                ),
                to_attr="year_posts",
            ),
            Prefetch(
                "keys",
                queryset=CostKey.objects.filter(year=year).prefetch_related(
                    Prefetch("figures", queryset=KeyFigure.objects.select_related("legal_entity"))
                ),
                to_attr="year_keys",
            ),
            Prefetch("other_costs", queryset=OtherCost.objects.filter(year=year), to_attr="year_other_costs"),
        )
        .order_by("title", "id")
    )
    if function_ids is not None:
        functions = functions.filter(id__in=function_ids)
    inputs = []
    for function in functions:
        key = function.year_keys[0] if function.year_keys else None
        figures = {figure.legal_entity.finess: figure for figure in key.figures.all()} if key else {}
        days: dict[str, int] = defaultdict(int)
        names: dict[str, str] = {}
        for subscription in function.year_subscriptions:
            entity = subscription.legal_entity
            days[entity.finess] += _membership_days(subscription, entity.group_memberships, year)
            names[entity.finess] = entity.name
        subscribers = tuple(
            SubscriberInput(
                finess=finess,
                name=names[finess],
                days=min(count, days_in_year(year)),
                figure=figures[finess].value if finess in figures else None,
                source=figures[finess].source if finess in figures else "",
            )
            for finess, count in sorted(days.items())
        )
        posts = tuple(
            PostInput(
                label=post.job_title,
                yearly_cost=post.yearly_cost,
                days_active=overlap_days(post.starts_on, post.ends_on, year),
                fte=post.fte,
                split=post.split,
                hours=tuple((h.legal_entity.finess, h.hours) for h in post.year_hours),
                lender_finess=post.lending_member.finess if post.mode == PostMode.SECONDED else "",
                lender_name=post.lending_member.name if post.mode == PostMode.SECONDED else "",
            )
            for post in function.year_posts
        )
        inputs.append(
            FunctionInput(
                function_id=function.pk,
                title=function.title,
                year=year,
                method=key.method if key else None,
                figure_kind=key.figure_kind if key else "",
                key_act=key.act if key else "",
                subscribers=subscribers,
                posts=posts,
                other_costs=tuple((cost.label, cost.amount) for cost in function.year_other_costs),
            )
        )
    return inputs


def year_split(*, groupement: Groupement, year: int) -> YearSplit:
    """The cost sharing of ``groupement``'s functions for ``year``: every function, every member's total."""
    return combine(year, (split_function(inputs) for inputs in function_inputs(groupement=groupement, year=year)))
