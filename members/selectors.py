"""Reads of the members room. Lists are scoped in the ORM first, then filtered by guardian."""

import datetime
import re
from dataclasses import dataclass

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import (
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.models import JournalEntry
from members import perms
from members.access import directed_establishments, objects_granted_to
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
    establishment_open_q,
)


def groupement_list_for_user(*, user) -> QuerySet[Groupement]:
    """Groupements the user may open in the dashboard, with their number of current members."""
    qs = Groupement.objects.active().select_related("region")
    qs = objects_granted_to(user=user, right=perms.VIEW_GROUPEMENT, queryset=qs)
    return qs.with_member_count().order_by("name")


def membership_current_list(*, groupement: Groupement, day: datetime.date | None = None) -> QuerySet[Membership]:
    """Current memberships of a groupement with their legal entity, its number of open establishments
    and (``legal_entity.closed_sites``) those closed in FINESS on ``day``, shown « fermé dans FINESS »."""
    day = day or timezone.localdate()
    closed = Establishment.objects.filter(~establishment_open_q(day)).order_by("name")
    return (
        Membership.objects.filter(groupement=groupement)
        .active_on(day)
        .annotate(establishment_count=_establishment_count(day))
        .select_related("legal_entity")
        .prefetch_related(Prefetch("legal_entity__establishments", queryset=closed, to_attr="closed_sites"))
        .order_by("legal_entity__name")
    )


def groupement_journal(*, groupement: Groupement, limit: int = 8) -> QuerySet[JournalEntry]:
    """The latest business events of a groupement, read by the indexed ``JournalEntry.groupement``
    (``journal_groupement_at``): every writer names the groupement its event belongs to."""
    return JournalEntry.objects.filter(groupement=groupement).select_related("actor").order_by("-at", "-id")[:limit]


def journal_groupement_of(*, legal_entity_id: int, day: datetime.date | None = None) -> int | None:
    """The groupement a legal entity's event is journaled under: the one it is a member of on ``day``.

    For the events about a legal entity or its establishments that no groupement decides (a role on
    an establishment, a GHT membership, a dérogation): they show in that groupement's activity. A
    member (not a partner) of a GTSMS first, since an entity belongs to one GTSMS at a time
    (L. 312-7-2 I CASF); else its earliest current membership of a GCSMS; ``None`` when it is a
    member of none on ``day`` (the event is then platform-wide).
    """
    gtsms_first = Case(When(groupement_kind=GroupementKind.GTSMS, then=0), default=1)
    return (
        Membership.objects.filter(legal_entity_id=legal_entity_id)
        .members()
        .active_on(day or timezone.localdate())
        .order_by(gtsms_first, "admitted_on", "id")
        .values_list("groupement_id", flat=True)
        .first()
    )


def groupement_summary(*, groupement: Groupement, day: datetime.date | None = None) -> dict:
    """Figures for the groupement dashboard: members by category, establishments by FINESS category."""
    day = day or timezone.localdate()
    memberships = Membership.objects.filter(groupement=groupement).active_on(day)
    by_category = dict(memberships.values_list("category").annotate(n=Count("id")).order_by())
    establishments = Establishment.objects.open_on(day).filter(
        legal_entity__in=memberships.members().values("legal_entity")
    )
    by_finess = list(
        establishments.values("category_code", "category_label")
        .annotate(n=Count("id"))
        .order_by("-n", "category_code")
    )
    return {
        "members": memberships.members().count(),
        "partners": by_category.get(MembershipCategory.PARTNER, 0),
        "by_category": by_category,
        "establishments": sum(row["n"] for row in by_finess),
        "by_finess_category": by_finess,
    }


def _directed_establishments(*, user) -> QuerySet[Establishment]:
    qs = Establishment.objects.select_related("legal_entity", "departement")
    return directed_establishments(user, qs).order_by("name")


def review_scope_for_user(*, user) -> tuple[list[Region], list[Departement]]:
    """The régions (ARS) and départements (conseil départemental) a reader may see."""
    regions = list(objects_granted_to(user=user, right=perms.REVIEW_REGION, queryset=Region.objects.all()))
    departements = list(
        objects_granted_to(
            user=user, right=perms.READ_DEPARTEMENT, queryset=Departement.objects.select_related("region")
        )
    )
    return regions, departements


def groupement_list_for_review(*, regions: list[Region], departements: list[Departement]) -> QuerySet[Groupement]:
    """Groupements of the reader's régions, or with a département of the reader's."""
    scope = Q(region__in=regions) | Q(departements__in=departements)
    ids = Groupement.objects.filter(scope).values("id")
    return (
        Groupement.objects.filter(id__in=ids)
        .select_related("region")
        .prefetch_related("departements")
        .with_member_count()
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


def _establishment_count(day: datetime.date) -> Coalesce:
    """The number of the membership's legal entity's establishments open on ``day`` (``open_on``)."""
    open_sites = (
        Establishment.objects.open_on(day)
        .filter(legal_entity=OuterRef("legal_entity"))
        .order_by()
        .values("legal_entity")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(open_sites), 0)


def _finess_closed(day: datetime.date) -> dict:
    """``finess_closed_count`` and ``finess_closed_on`` (latest) of the member's establishments closed in
    FINESS on ``day`` (the complement of ``open_on``)."""
    closed = (
        Establishment.objects.filter(~establishment_open_q(day), legal_entity=OuterRef("legal_entity"))
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
    qs = with_terms_on(qs, day).annotate(establishment_count=_establishment_count(day), **_finess_closed(day))
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
    open: bool = True  # open today (``Establishment.is_open_on``, the rule of every count)


def _eligibility_of(establishment: Establishment, day: datetime.date | None = None) -> EstablishmentEligibility:
    """What the law says of the establishment, as computed at its last FINESS import."""
    eligibility = eligibility_of_rule(establishment.eligibility_rule)
    is_open = establishment.is_open_on(day or timezone.localdate())
    if eligibility is None:
        return EstablishmentEligibility(
            establishment=establishment,
            open=is_open,
            category_label="Non déterminée",
            rule_label=(
                "Le statut juridique de l'entité juridique n'est pas connu : importez l'extrait FINESS des "
                "entités juridiques"
            ),
            article="L. 312-7-2 I CASF",
        )
    return EstablishmentEligibility(
        establishment=establishment,
        open=is_open,
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
        establishments=[_eligibility_of(site, day) for site in sites],
        periods=list(periods.order_by("-admitted_on", "-id")),
    )


FINESS_START = re.compile(r"(\d{2}|2A|2B)\d{0,7}")


def legal_entity_search(*, query: str, day: datetime.date | None = None, limit: int = 20) -> list[LegalEntity]:
    """Legal entities matching a FINESS number (or its start) or a part of the name, for an admission.

    A query of digits (``2A``/``2B`` and digits in Corsica) is a FINESS number or its start, listed in
    number order (the exact number first); any other query is a part of the name (or long name), most
    relevant first: names starting with it, then by trigram similarity (pg_trgm), then by name.

    Each carries ``current_gtsms``: the name of the GTSMS it is a member of on ``day``, if any.
    """
    query = (query or "").strip()
    if len(query) < 2:
        return []
    day = day or timezone.localdate()
    current_gtsms = (
        Membership.objects.filter(legal_entity=OuterRef("pk"))
        .gtsms_members()
        .active_on(day)
        .order_by("admitted_on")
        .values("groupement__name")[:1]
    )
    number = query.upper()
    if FINESS_START.fullmatch(number):
        # A FINESS number or its start (digits; 2A/2B in Corsica): a range scan of the ``varchar_pattern_ops``
        # index Django keeps on ``finess``, in number order (so the exact number comes first).
        found = LegalEntity.objects.filter(finess__startswith=number).order_by("finess")
    else:
        # A part of the name, through the trigram indexes (members.0007): names starting with the query
        # first, then by trigram similarity (pg_trgm), then by name.
        rank = Case(When(name__istartswith=query, then=Value(1)), default=Value(0))
        found = (
            LegalEntity.objects.filter(Q(name__icontains=query) | Q(long_name__icontains=query))
            .annotate(rank=rank, similarity=TrigramSimilarity("name", query))
            .order_by("-rank", "-similarity", "name", "finess")
        )
    return list(found.annotate(current_gtsms=Subquery(current_gtsms))[:limit])


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
