"""Writes of the functions room: function types, functions, subscriptions, shared posts, cost keys,
other costs. Each checks the acting user's right, refuses bad input with a French message naming
the field (nothing is half-saved: every service is one transaction), and is journaled.

Periods here include both their first and their last day (``functions.models``). A subscriber must
be a member of the groupement — not a partner by convention — for the whole subscribed period: one
membership period active on its first and on its last day (``members.models.membership_active_q``).
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils.text import slugify

from core.enums import JournalAction
from core.exceptions import BusinessRuleError
from core.formatting import format_date, format_number
from core.journal import journal_record
from core.perms import checker_for, require
from functions import perms
from functions.enums import FigureKind, FunctionCategory, KeyMethod, PostMode, PostSplit
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
from functions.sharing import figure_name, overlap_days, post_hours_capacity
from members.models import Groupement, LegalEntity, Membership, membership_active_q


RIGHT_MESSAGE = "Vous n'avez pas le droit de gérer les fonctions mutualisées de ce groupement."


# --- Small shared checks ---------------------------------------------------------------------------


def _require(actor, groupement: Groupement) -> None:
    if actor is not None:
        require(perms.can_manage_functions(checker_for(actor), groupement), RIGHT_MESSAGE)


def _check_period(starts_on: datetime.date, ends_on: datetime.date | None, what: str) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise BusinessRuleError(
            f"« Fin » : la fin {what} ({format_date(ends_on)}) ne peut pas précéder son début "
            f"({format_date(starts_on)})."
        )


def _check_within_function(function: GroupementFunction, starts_on: datetime.date, ends_on, what: str) -> None:
    if starts_on < function.starts_on:
        raise BusinessRuleError(
            f"« Début » : {what} ne peut pas commencer ({format_date(starts_on)}) avant la fonction "
            f"« {function.title} » ({format_date(function.starts_on)})."
        )
    if function.ends_on is not None and (ends_on is None or ends_on > function.ends_on):
        raise BusinessRuleError(
            f"« Fin » : {what} ne peut pas durer au-delà de la fin de la fonction « {function.title} » "
            f"({format_date(function.ends_on)})."
        )


def _check_year(year: int) -> None:
    if not 2000 <= int(year) <= 2100:
        raise BusinessRuleError(f"« Année » : {year} n'est pas une année valide.")


def _check_not_negative(value: Decimal, field: str) -> None:
    if value < 0:
        raise BusinessRuleError(f"« {field} » : la valeur ne peut pas être négative ({format_number(value, 2)}).")


def _full_clean(instance: models.Model) -> None:
    """``full_clean()``, its errors turned into one French business error naming the fields."""
    try:
        instance.full_clean()
    except ValidationError as error:
        messages = []
        for name, field_messages in error.message_dict.items():
            label = "" if name == "__all__" else f"« {instance._meta.get_field(name).verbose_name} » : "
            messages.extend(f"{label}{message}" for message in field_messages)
        raise BusinessRuleError(messages) from error


def _save(instance: models.Model, **kwargs) -> None:
    _full_clean(instance)
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError as error:  # a concurrent write the checks could not see
        raise BusinessRuleError(
            "Cette opération entre en conflit avec une autre saisie : rechargez la page."
        ) from error


def _facts(function: GroupementFunction, **extra) -> dict:
    facts = {"groupement": function.groupement_id, "function": function.pk, "title": function.title}
    for key, value in extra.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        facts[key] = value
    return facts


def member_for_period(
    *, groupement: Groupement, legal_entity: LegalEntity, starts_on: datetime.date, ends_on: datetime.date | None
) -> Membership | None:
    """The membership period covering all of ``[starts_on, ends_on]`` (``ends_on`` None: open), if any.

    Members only: partners by convention are not members (L. 312-7 CASF).
    """
    qs = Membership.objects.filter(groupement=groupement, legal_entity=legal_entity).members()
    qs = qs.filter(membership_active_q(starts_on))
    qs = qs.filter(left_on__isnull=True) if ends_on is None else qs.filter(membership_active_q(ends_on))
    return qs.order_by("admitted_on").first()


def _check_member_for_period(*, function: GroupementFunction, legal_entity: LegalEntity, starts_on, ends_on) -> None:
    if member_for_period(
        groupement=function.groupement, legal_entity=legal_entity, starts_on=starts_on, ends_on=ends_on
    ):
        return
    period = (
        f"du {format_date(starts_on)} au {format_date(ends_on)}"
        if ends_on
        else f"à partir du {format_date(starts_on)}"
    )
    raise BusinessRuleError(
        f"« Membre » : « {legal_entity.name} » ({legal_entity.finess}) n'est pas membre du groupement "
        f"« {function.groupement.name} » sur toute la période {period} : seul un membre peut adhérer à une "
        "fonction mutualisée, pour une période où il est membre."
    )


# --- Function types and functions ------------------------------------------------------------------


@transaction.atomic
def function_type_create(*, groupement: Groupement, name: str, actor: AbstractBaseUser | None = None) -> FunctionType:
    """A kind of function the groupement defines itself (éthique, mobilité…). It never counts for the
    legal minimum: only the seven functions of L. 312-7-2 CASF do."""
    _require(actor, groupement)
    name = (name or "").strip()
    if not name:
        raise BusinessRuleError("« Nom » : indiquez le nom du type de fonction.")
    if FunctionType.objects.filter(Q(groupement=groupement) | Q(groupement__isnull=True), name__iexact=name).exists():
        raise BusinessRuleError(f"« Nom » : le type de fonction « {name} » existe déjà.")
    function_type = FunctionType(
        groupement=groupement,
        code=slugify(name)[:60] or "fonction",
        name=name,
        category=FunctionCategory.GROUPEMENT,
        counts_for_minimum=False,
        position=200,
    )
    _save(function_type)
    journal_record(
        action=JournalAction.FUNCTION_TYPE_CREATED,
        groupement=groupement,
        actor=actor,
        target=function_type,
        facts={"groupement": groupement.pk, "name": name},
    )
    return function_type


def _check_type_for(groupement: Groupement, function_type: FunctionType) -> None:
    if function_type.groupement_id not in (None, groupement.pk):
        raise BusinessRuleError("« Type de fonction » : ce type appartient à un autre groupement.")


@transaction.atomic
def function_create(
    *,
    groupement: Groupement,
    function_type: FunctionType,
    title: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    description: str = "",
    service: str = "",
    responsible: str = "",
    actor: AbstractBaseUser | None = None,
) -> GroupementFunction:
    """A function the groupement runs for its members from ``starts_on`` (to ``ends_on``, included)."""
    _require(actor, groupement)
    _check_type_for(groupement, function_type)
    _check_period(starts_on, ends_on, "de la fonction")
    function = GroupementFunction(
        groupement=groupement,
        function_type=function_type,
        title=(title or "").strip(),
        description=description.strip(),
        service=service.strip(),
        responsible=responsible.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    _save(function)
    journal_record(
        action=JournalAction.FUNCTION_CREATED,
        groupement=groupement,
        actor=actor,
        target=function,
        facts=_facts(function, type=function_type.code, starts_on=starts_on, counts=function_type.counts_for_minimum),
    )
    return function


FUNCTION_FIELDS = ("function_type", "title", "description", "service", "responsible", "starts_on", "ends_on")


@transaction.atomic
def function_update(
    *, function: GroupementFunction, actor: AbstractBaseUser | None = None, **changes
) -> GroupementFunction:
    """Change a function's description or dates. Its subscriptions and posts must stay within its period."""
    function = (
        GroupementFunction.objects.select_for_update(of=("self",)).select_related("groupement").get(pk=function.pk)
    )
    _require(actor, function.groupement)
    unknown = set(changes) - set(FUNCTION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    if "function_type" in changes:
        _check_type_for(function.groupement, changes["function_type"])
    before = {name: getattr(function, name) for name in changes}
    for name, value in changes.items():
        setattr(function, name, value.strip() if isinstance(value, str) else value)
    _check_period(function.starts_on, function.ends_on, "de la fonction")
    end = function.ends_on
    outside = Q(starts_on__lt=function.starts_on)
    if end is not None:
        outside |= Q(ends_on__isnull=True) | Q(ends_on__gt=end)
    late = function.subscriptions.filter(outside).select_related("legal_entity").first()
    if late is not None:
        raise BusinessRuleError(
            f"« Fin » : l'adhésion de « {late.legal_entity.name} » déborde de la nouvelle période de la fonction ; "
            "datez d'abord la fin de cette adhésion."
        )
    post = function.posts.filter(outside).first()
    if post is not None:
        raise BusinessRuleError(
            f"« Fin » : le poste « {post.job_title} » déborde de la nouvelle période de la fonction ; "
            "datez d'abord sa fin."
        )
    _save(function)
    changed = {name: str(getattr(function, name)) for name in changes if before[name] != getattr(function, name)}
    journal_record(
        action=JournalAction.FUNCTION_UPDATED,
        groupement=function.groupement,
        actor=actor,
        target=function,
        facts=_facts(function, changed=sorted(changed)),
    )
    return function


# --- Subscriptions ----------------------------------------------------------------------------------


@transaction.atomic
def subscription_create(
    *,
    function: GroupementFunction,
    legal_entity: LegalEntity,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    actor: AbstractBaseUser | None = None,
) -> Subscription:
    """``legal_entity`` subscribes to ``function`` from ``starts_on`` (to ``ends_on``, included).

    The subscriber must be a member of the groupement for the whole period; one subscription at a time
    per member and function (the database holds that rule too).
    """
    groupement = function.groupement
    _require(actor, groupement)
    _check_period(starts_on, ends_on, "de l'adhésion")
    _check_within_function(function, starts_on, ends_on, "l'adhésion")
    _check_member_for_period(function=function, legal_entity=legal_entity, starts_on=starts_on, ends_on=ends_on)
    overlapping = function.subscriptions.filter(legal_entity=legal_entity).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    existing = overlapping.first()
    if existing is not None:
        raise BusinessRuleError(
            f"« Début » : « {legal_entity.name} » adhère déjà à cette fonction depuis le "
            f"{format_date(existing.starts_on)}."
        )
    subscription = Subscription(function=function, legal_entity=legal_entity, starts_on=starts_on, ends_on=ends_on)
    _save(subscription)
    journal_record(
        action=JournalAction.FUNCTION_SUBSCRIBED,
        groupement=groupement,
        actor=actor,
        target=subscription,
        facts=_facts(function, finess=legal_entity.finess, starts_on=starts_on, ends_on=ends_on),
    )
    return subscription


@transaction.atomic
def subscription_end(
    *, subscription: Subscription, ends_on: datetime.date, actor: AbstractBaseUser | None = None
) -> Subscription:
    """Date the last day of an open subscription (the member unsubscribes). The row is kept."""
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("function__groupement", "legal_entity")
        .get(pk=subscription.pk)
    )
    function = subscription.function
    _require(actor, function.groupement)
    if subscription.ends_on is not None:
        raise BusinessRuleError(
            f"« Fin » : l'adhésion de « {subscription.legal_entity.name} » se termine déjà le "
            f"{format_date(subscription.ends_on)}."
        )
    _check_period(subscription.starts_on, ends_on, "de l'adhésion")
    _check_within_function(function, subscription.starts_on, ends_on, "l'adhésion")
    subscription.ends_on = ends_on
    _save(subscription, update_fields=["ends_on", "updated_at"])
    journal_record(
        action=JournalAction.FUNCTION_UNSUBSCRIBED,
        groupement=function.groupement,
        actor=actor,
        target=subscription,
        facts=_facts(function, finess=subscription.legal_entity.finess, ends_on=ends_on),
    )
    return subscription


# --- Shared posts -----------------------------------------------------------------------------------


@transaction.atomic
def post_create(
    *,
    function: GroupementFunction,
    job_title: str,
    fte: Decimal,
    mode: str,
    yearly_cost: Decimal,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    split: str = PostSplit.KEY,
    lending_member: LegalEntity | None = None,
    actor: AbstractBaseUser | None = None,
) -> SharedPost:
    """A post serving ``function``: recruited by the groupement, or made available by a member, which
    the groupement reimburses (mise à disposition, L. 312-7 3° CASF); the lender must be a member
    when the post starts."""
    groupement = function.groupement
    _require(actor, groupement)
    if fte is None or fte <= 0:
        raise BusinessRuleError(
            f"« ETP » : l'équivalent temps plein doit être positif ({format_number(fte or 0, 2)})."
        )
    _check_not_negative(yearly_cost, "Coût annuel")
    _check_period(starts_on, ends_on, "du poste")
    _check_within_function(function, starts_on, ends_on, "le poste")
    mode = PostMode(mode)
    if mode == PostMode.SECONDED:
        if lending_member is None:
            raise BusinessRuleError(
                "« Membre employeur » : un poste mis à disposition indique le membre qui l'emploie "
                "(art. L. 312-7 3° CASF)."
            )
        if (
            member_for_period(
                groupement=groupement, legal_entity=lending_member, starts_on=starts_on, ends_on=starts_on
            )
            is None
        ):
            raise BusinessRuleError(
                f"« Membre employeur » : « {lending_member.name} » n'est pas membre du groupement le "
                f"{format_date(starts_on)} : seul un membre met du personnel à disposition (art. L. 312-7 3° CASF)."
            )
    else:
        lending_member = None
    post = SharedPost(
        function=function,
        job_title=(job_title or "").strip(),
        fte=fte,
        mode=mode,
        lending_member=lending_member,
        yearly_cost=yearly_cost,
        split=PostSplit(split),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    _save(post)
    journal_record(
        action=JournalAction.SHARED_POST_CREATED,
        groupement=groupement,
        actor=actor,
        target=post,
        facts=_facts(
            function,
            job_title=post.job_title,
            fte=fte,
            mode=mode,
            yearly_cost=yearly_cost,
            lender=lending_member.finess if lending_member else "",
        ),
    )
    return post


def _subscribed_in_year(function: GroupementFunction, year: int) -> dict[int, LegalEntity]:
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    subscriptions = function.subscriptions.filter(starts_on__lte=last).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=first)
    )
    return {s.legal_entity_id: s.legal_entity for s in subscriptions.select_related("legal_entity")}


@transaction.atomic
def post_hours_set(
    *,
    post: SharedPost,
    year: int,
    hours: Mapping[LegalEntity, Decimal],
    actor: AbstractBaseUser | None = None,
) -> list[PostHours]:
    """State how many of the post's hours of ``year`` go to each member (replaces that year's hours).

    Only subscribers of the year; never more than the post's working time in the year (FTE × 1 607 h,
    pro rata of its days active): a post's time is not split over more than 100 %.
    """
    post = SharedPost.objects.select_for_update(of=("self",)).select_related("function__groupement").get(pk=post.pk)
    function = post.function
    _require(actor, function.groupement)
    _check_year(year)
    if post.split != PostSplit.HOURS:
        raise BusinessRuleError(
            f"« Répartition » : le poste « {post.job_title} » se répartit selon la clé de la fonction."
        )
    days = overlap_days(post.starts_on, post.ends_on, year)
    if days == 0:
        raise BusinessRuleError(f"« Année » : le poste « {post.job_title} » n'est pas actif en {year}.")
    subscribers = _subscribed_in_year(function, year)
    for entity, value in hours.items():
        _check_not_negative(value, f"Heures de {entity.name}")
        if entity.pk not in subscribers:
            raise BusinessRuleError(
                f"« Heures de {entity.name} » : ce membre n'adhère pas à la fonction « {function.title} » en {year}."
            )
    capacity = post_hours_capacity(post.fte, days, year)
    stated = sum(hours.values(), Decimal(0))
    if Fraction(stated) > capacity:
        capacity_text = format_number(Decimal(capacity.numerator) / capacity.denominator, 1)
        raise BusinessRuleError(
            f"« Heures » : {format_number(stated, 1)} heures déclarées pour un poste de "
            f"{format_number(post.fte, 2)} ETP qui compte {capacity_text} heures de travail en {year} : "
            "le temps d'un poste ne peut pas être réparti au-delà de 100 %."
        )
    post.hours.filter(year=year).delete()
    rows = []
    for entity, value in sorted(hours.items(), key=lambda item: item[0].finess):
        row = PostHours(post=post, year=year, legal_entity=entity, hours=value)
        _save(row)
        rows.append(row)
    journal_record(
        action=JournalAction.POST_HOURS_SET,
        groupement=function.groupement,
        actor=actor,
        target=post,
        facts=_facts(function, year=year, hours={e.finess: str(v) for e, v in hours.items()}),
    )
    return rows


# --- Cost keys and other costs ---------------------------------------------------------------------


@transaction.atomic
def cost_key_set(
    *,
    function: GroupementFunction,
    year: int,
    method: str,
    figure_kind: str = "",
    act: str = "",
    figures: Mapping[LegalEntity, tuple[Decimal, str]] | None = None,
    actor: AbstractBaseUser | None = None,
) -> CostKey:
    """Fix how the function's cost of ``year`` is split, with each member's figure and its source.

    Equal shares need no figure. A pro-rata key needs the stated yearly figure (places, budget, FTE,
    days of activity) of every member subscribed that year, each with its source. Fixed percentages
    must sum to exactly 100 %. The key of a year replaces the previous one of the same year (its
    history is kept by pghistory and the journal).
    """
    groupement = function.groupement
    _require(actor, groupement)
    _check_year(year)
    method = KeyMethod(method)
    figures = dict(figures or {})
    if method == KeyMethod.FIGURE:
        if figure_kind not in FigureKind.values:
            raise BusinessRuleError("« Chiffre » : choisissez le chiffre de la clé (places, budget, ETP, journées).")
    else:
        figure_kind = ""
    if method == KeyMethod.EQUAL:
        figures = {}
    subscribers = _subscribed_in_year(function, year)
    what = figure_name(figure_kind) if method == KeyMethod.FIGURE else "pourcentage"
    for entity, (value, source) in figures.items():
        label = f"{what.capitalize()} de {entity.name}"
        if value is None:
            continue
        _check_not_negative(value, label)
        if not (source or "").strip():
            raise BusinessRuleError(f"« Source ({what}) de {entity.name} » : indiquez d'où vient ce chiffre.")
    figures = {entity: pair for entity, pair in figures.items() if pair[0] is not None}
    if method in (KeyMethod.FIGURE, KeyMethod.PERCENT):
        given = {entity.pk for entity in figures}
        for entity_id, entity in sorted(subscribers.items(), key=lambda item: item[1].finess):
            if entity_id not in given:
                raise BusinessRuleError(
                    f"« {what.capitalize()} de {entity.name} » : le chiffre « {what} » de ce membre adhérent "
                    f"({entity.finess}) manque pour la clé {year}."
                )
    if method == KeyMethod.PERCENT:
        total = sum((value for value, _ in figures.values()), Decimal(0))
        if total != 100:
            raise BusinessRuleError(
                f"« Pourcentages » : les pourcentages totalisent {format_number(total, 2)} % ; ils doivent faire "
                "exactement 100 %."
            )
    key = CostKey.objects.select_for_update(of=("self",)).filter(function=function, year=year).first()
    if key is None:
        key = CostKey(function=function, year=year)
    key.method, key.figure_kind, key.act = method, figure_kind, (act or "").strip()
    _save(key)
    key.figures.all().delete()
    for entity, (value, source) in sorted(figures.items(), key=lambda item: item[0].finess):
        _save(KeyFigure(key=key, legal_entity=entity, value=value, source=source.strip()))
    journal_record(
        action=JournalAction.COST_KEY_SET,
        groupement=groupement,
        actor=actor,
        target=key,
        facts=_facts(
            function,
            year=year,
            method=method,
            figure_kind=figure_kind,
            figures={e.finess: str(v) for e, (v, _) in figures.items()},
        ),
    )
    return key


@transaction.atomic
def other_cost_add(
    *,
    function: GroupementFunction,
    year: int,
    label: str,
    amount: Decimal,
    actor: AbstractBaseUser | None = None,
) -> OtherCost:
    """Another yearly cost of the function (licence, purchase…), shared by the function's key."""
    groupement = function.groupement
    _require(actor, groupement)
    _check_year(year)
    _check_not_negative(amount, "Montant")
    if not (label or "").strip():
        raise BusinessRuleError("« Libellé » : indiquez ce que couvre ce coût.")
    cost = OtherCost(
        function=function,
        year=year,
        label=label.strip(),
        amount=amount,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    _save(cost)
    journal_record(
        action=JournalAction.OTHER_COST_ADDED,
        groupement=groupement,
        actor=actor,
        target=cost,
        facts=_facts(function, year=year, label=cost.label, amount=amount),
    )
    return cost
