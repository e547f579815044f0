"""Reads of the members room. Lists are scoped in the ORM first, then filtered by guardian."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from core.models import JournalEntry
from members import perms
from members.eligibility import eligibility_of_rule
from members.enums import EligibilityCategory, GroupementKind, MembershipCategory
from members.models import (
    Departement,
    Establishment,
    Groupement,
    LegalEntity,
    Membership,
    MembershipTerms,
    Region,
    membership_active_q,
)


def groupement_list_for_user(*, user) -> QuerySet[Groupement]:
    """Groupements the user may open in the dashboard, with their number of current members."""
    today = timezone.localdate()
    active = membership_active_q(today, prefix="memberships__")
    qs = Groupement.objects.active().select_related("region")
    qs = get_objects_for_user(user, perms.VIEW_GROUPEMENT, klass=qs, accept_global_perms=False)
    return qs.annotate(
        member_count=Count("memberships", filter=active & ~Q(memberships__category=MembershipCategory.PARTNER))
    ).order_by("name")


def membership_current_list(*, groupement: Groupement, day: datetime.date | None = None) -> QuerySet[Membership]:
    """Current memberships of a groupement with their legal entity and establishments."""
    day = day or timezone.localdate()
    return (
        Membership.objects.filter(groupement=groupement)
        .active_on(day)
        .select_related("legal_entity")
        .prefetch_related(
            Prefetch("legal_entity__establishments", queryset=Establishment.objects.order_by("name")),
        )
        .order_by("legal_entity__name")
    )


def groupement_journal(*, groupement: Groupement, limit: int = 8) -> QuerySet[JournalEntry]:
    """The latest business events of a groupement (every journaled event carries the ``groupement`` fact)."""
    return JournalEntry.objects.filter(facts__groupement=groupement.pk).select_related("actor")[:limit]


def groupement_summary(*, groupement: Groupement, day: datetime.date | None = None) -> dict:
    """Figures for the groupement dashboard: members by category, establishments by FINESS category."""
    day = day or timezone.localdate()
    memberships = Membership.objects.filter(groupement=groupement).active_on(day)
    by_category = dict(memberships.values_list("category").annotate(n=Count("id")).order_by())
    establishments = Establishment.objects.filter(
        legal_entity__in=memberships.members().values("legal_entity"), closed=False
    )
    by_finess = list(
        establishments.values("category_code", "category_label")
        .annotate(n=Count("id"))
        .order_by("-n", "category_code")
    )
    return {
        "members": sum(n for cat, n in by_category.items() if cat != MembershipCategory.PARTNER),
        "partners": by_category.get(MembershipCategory.PARTNER, 0),
        "by_category": by_category,
        "establishments": sum(row["n"] for row in by_finess),
        "by_finess_category": by_finess,
    }


def _directed_establishments(*, user) -> QuerySet[Establishment]:
    qs = Establishment.objects.select_related("legal_entity", "departement")
    return get_objects_for_user(user, perms.DIRECT_ESTABLISHMENT, klass=qs, accept_global_perms=False).order_by("name")


def review_scope_for_user(*, user) -> tuple[list[Region], list[Departement]]:
    """The régions (ARS) and départements (conseil départemental) a reader may see."""
    regions = list(get_objects_for_user(user, perms.REVIEW_REGION, klass=Region, accept_global_perms=False))
    departements = list(
        get_objects_for_user(
            user, perms.READ_DEPARTEMENT, klass=Departement.objects.select_related("region"), accept_global_perms=False
        )
    )
    return regions, departements


def groupement_list_for_review(*, regions: list[Region], departements: list[Departement]) -> QuerySet[Groupement]:
    """Groupements of the reader's régions, or with a département of the reader's."""
    today = timezone.localdate()
    active = membership_active_q(today, prefix="memberships__")
    scope = Q(region__in=regions) | Q(departements__in=departements)
    ids = Groupement.objects.filter(scope).values("id")
    return (
        Groupement.objects.filter(id__in=ids)
        .select_related("region")
        .prefetch_related("departements")
        .annotate(
            member_count=Count("memberships", filter=active & ~Q(memberships__category=MembershipCategory.PARTNER))
        )
        .order_by("region__name", "name")
    )


# --- Members list, member page, admission search -------------------------------------------------

MEMBER_STATUS_CURRENT = "current"
MEMBER_STATUS_LEFT = "left"
MEMBER_STATUS_ALL = "all"
MEMBER_STATUS_CHOICES = [
    (MEMBER_STATUS_CURRENT, "En cours"),
    (MEMBER_STATUS_LEFT, "Sortis"),
    (MEMBER_STATUS_ALL, "Tous"),
]
MEMBER_SORTS = {
    "name": ("legal_entity__name", "admitted_on", "id"),
    "admitted": ("-admitted_on", "legal_entity__name", "id"),
    "finess": ("legal_entity__finess", "admitted_on", "id"),
}
MEMBER_SORT_CHOICES = [
    ("name", "Nom de l'entité juridique"),
    ("admitted", "Date d'admission (récentes d'abord)"),
    ("finess", "FINESS juridique"),
]


@dataclass(frozen=True)
class MemberListFilters:
    """What the members list shows: a category, a situation, a département of establishments, an order."""

    category: str = ""
    status: str = MEMBER_STATUS_CURRENT
    departement: str = ""
    sort: str = "name"


def with_terms_on(qs: QuerySet[Membership], day: datetime.date) -> QuerySet[Membership]:
    """Annotate each membership with the ``voting_rights`` and ``contribution_share`` in force on ``day``.

    The single place that reads terms: the latest dated state starting on or before ``day``. For a
    membership that starts after ``day``, its first terms; for one that has ended, its last (no
    terms may start on or after the departure, ``members.services``).
    """
    terms = (
        MembershipTerms.objects.filter(membership=OuterRef("pk"))
        .filter(Q(valid_from__lte=day) | Q(valid_from=OuterRef("admitted_on")))
        .order_by("-valid_from")
    )
    return qs.annotate(
        voting_rights=Subquery(terms.values("voting_rights")[:1]),
        contribution_share=Subquery(terms.values("contribution_share")[:1]),
    )


def _establishment_count() -> Coalesce:
    open_sites = (
        Establishment.objects.filter(legal_entity=OuterRef("legal_entity"), closed=False)
        .order_by()
        .values("legal_entity")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(open_sites), 0)


def _finess_closed() -> dict:
    """``finess_closed_count`` and ``finess_closed_on`` (latest) of the member's establishments closed in FINESS."""
    closed = (
        Establishment.objects.filter(legal_entity=OuterRef("legal_entity"), closed=True)
        .order_by()
        .values("legal_entity")
    )
    return {
        "finess_closed_count": Coalesce(Subquery(closed.annotate(n=Count("id")).values("n")), 0),
        "finess_closed_on": Subquery(closed.annotate(last=Max("closed_on")).values("last")),
    }


def membership_list(
    *, groupement: Groupement, filters: MemberListFilters | None = None, day: datetime.date | None = None
) -> QuerySet[Membership]:
    """Memberships of a groupement for the members list: filtered, ordered, one query per page.

    Each row carries its legal entity, its number of open establishments and its terms in force.
    "En cours" means not yet left (admissions dated later included); "Sortis" means left by ``day``.
    """
    filters = filters or MemberListFilters()
    day = day or timezone.localdate()
    qs = Membership.objects.filter(groupement=groupement)
    if filters.status == MEMBER_STATUS_CURRENT:
        qs = qs.filter(Q(left_on__isnull=True) | Q(left_on__gt=day))
    elif filters.status == MEMBER_STATUS_LEFT:
        qs = qs.filter(left_on__lte=day)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.departement:
        qs = qs.filter(
            Exists(
                Establishment.objects.filter(legal_entity=OuterRef("legal_entity"), departement_id=filters.departement)
            )
        )
    qs = with_terms_on(qs, day).annotate(establishment_count=_establishment_count(), **_finess_closed())
    return qs.select_related("legal_entity").order_by(*MEMBER_SORTS.get(filters.sort, MEMBER_SORTS["name"]))


def membership_list_departements(*, groupement: Groupement) -> list[Departement]:
    """The départements where the groupement's members (past or present) have establishments."""
    entities = Membership.objects.filter(groupement=groupement).values("legal_entity")
    return list(Departement.objects.filter(establishments__legal_entity__in=entities).distinct().order_by("code"))


@dataclass(frozen=True)
class EstablishmentEligibility:
    """An establishment with what the law says of it (members.eligibility)."""

    establishment: Establishment
    category_label: str
    rule_label: str
    article: str


def _eligibility_of(establishment: Establishment) -> EstablishmentEligibility:
    """What the law says of the establishment, as computed at its last FINESS import."""
    eligibility = eligibility_of_rule(establishment.eligibility_rule)
    if eligibility is None:
        return EstablishmentEligibility(
            establishment=establishment,
            category_label="Non déterminée",
            rule_label=(
                "Le statut juridique de l'entité juridique n'est pas connu : importez l'extrait FINESS des "
                "entités juridiques"
            ),
            article="L. 312-7-2 I CASF",
        )
    return EstablishmentEligibility(
        establishment=establishment,
        category_label=EligibilityCategory(eligibility.category).label,
        rule_label=eligibility.label,
        article=eligibility.article,
    )


def _history_queryset(day: datetime.date) -> QuerySet[Membership]:
    terms = Prefetch("terms", queryset=MembershipTerms.objects.order_by("valid_from"), to_attr="terms_history")
    return with_terms_on(Membership.objects.select_related("groupement"), day).prefetch_related(terms)


@dataclass(frozen=True)
class MemberDetail:
    membership: Membership
    legal_entity: LegalEntity
    establishments: list[EstablishmentEligibility]
    periods: list[Membership]


def membership_get(*, groupement: Groupement, membership_id: int) -> Membership:
    """One membership of ``groupement`` (``Membership.DoesNotExist`` if it belongs to another)."""
    return Membership.objects.select_related("legal_entity", "groupement").get(groupement=groupement, pk=membership_id)


def member_detail(*, membership: Membership, day: datetime.date | None = None) -> MemberDetail:
    """The member page: FINESS identity, sites with their eligibility, every period here with its terms."""
    day = day or timezone.localdate()
    legal_entity = membership.legal_entity
    establishments = legal_entity.establishments.select_related("departement")  # sets site.legal_entity
    periods = _history_queryset(day).filter(groupement_id=membership.groupement_id, legal_entity=legal_entity)
    sites = list(establishments.order_by("closed", "name"))
    return MemberDetail(
        membership=membership,
        legal_entity=legal_entity,
        establishments=[_eligibility_of(site) for site in sites],
        periods=list(periods.order_by("-admitted_on", "-id")),
    )


def legal_entity_search(*, query: str, day: datetime.date | None = None, limit: int = 20) -> list[LegalEntity]:
    """Legal entities matching a FINESS number (or its start) or a part of the name, for an admission.

    Each carries ``current_gtsms``: the name of the GTSMS it is a member of on ``day``, if any.
    """
    query = (query or "").strip()
    if len(query) < 2:
        return []
    day = day or timezone.localdate()
    current_gtsms = (
        Membership.objects.filter(legal_entity=OuterRef("pk"), groupement_kind=GroupementKind.GTSMS)
        .members()
        .active_on(day)
        .order_by("admitted_on")
        .values("groupement__name")[:1]
    )
    match = Q(name__icontains=query) | Q(long_name__icontains=query)
    if query.isalnum() and len(query) <= 9:
        match |= Q(finess__istartswith=query)
    return list(
        LegalEntity.objects.filter(match)
        .annotate(current_gtsms=Subquery(current_gtsms))
        .order_by("name", "finess")[:limit]
    )


# --- Portal ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalEstablishment:
    establishment: Establishment
    eligibility: EstablishmentEligibility
    current: list[Membership]
    history: list[Membership]


def portal_for_user(*, user, day: datetime.date | None = None) -> list[PortalEstablishment]:
    """What a director sees of each establishment they run: identity, eligibility, memberships and terms."""
    day = day or timezone.localdate()
    history = _history_queryset(day).order_by("-admitted_on", "-id")
    qs = _directed_establishments(user=user).prefetch_related(
        Prefetch("legal_entity__memberships", queryset=history, to_attr="membership_history")
    )
    cards = []
    for establishment in qs:
        memberships = establishment.legal_entity.membership_history
        cards.append(
            PortalEstablishment(
                establishment=establishment,
                eligibility=_eligibility_of(establishment),
                current=[m for m in memberships if m.is_active_on(day)],
                history=memberships,
            )
        )
    return cards
