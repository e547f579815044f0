"""Reads of the members room. Lists are scoped in the ORM first, then filtered by guardian."""

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from members import perms
from members.models import Departement, Establishment, Groupement, Membership, MembershipTerms, Region


def groupement_list_for_user(*, user) -> QuerySet[Groupement]:
    """Groupements the user may open in the dashboard, with their number of current members."""
    today = timezone.localdate()
    active = Q(memberships__admitted_on__lte=today) & (
        Q(memberships__left_on__isnull=True) | Q(memberships__left_on__gt=today)
    )
    qs = Groupement.objects.active().select_related("region")
    qs = get_objects_for_user(user, perms.VIEW_GROUPEMENT, klass=qs, accept_global_perms=False)
    return qs.annotate(
        member_count=Count("memberships", filter=active & ~Q(memberships__category="PARTNER"))
    ).order_by("name")


def membership_current_list(*, groupement: Groupement, day: datetime.date | None = None) -> QuerySet[Membership]:
    """Current memberships of a groupement with their legal entity, establishments and current terms."""
    day = day or timezone.localdate()
    current_terms = MembershipTerms.objects.filter(valid_from__lte=day).order_by("-valid_from")
    return (
        Membership.objects.filter(groupement=groupement)
        .active_on(day)
        .select_related("legal_entity")
        .prefetch_related(
            Prefetch("legal_entity__establishments", queryset=Establishment.objects.order_by("name")),
            Prefetch("terms", queryset=current_terms, to_attr="terms_desc"),
        )
        .order_by("legal_entity__name")
    )


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
        "members": sum(n for cat, n in by_category.items() if cat != "PARTNER"),
        "partners": by_category.get("PARTNER", 0),
        "by_category": by_category,
        "establishments": sum(row["n"] for row in by_finess),
        "by_finess_category": by_finess,
    }


def portal_establishments_for_user(*, user, day: datetime.date | None = None) -> QuerySet[Establishment]:
    """The establishments a director runs, each with its legal entity's current memberships."""
    day = day or timezone.localdate()
    qs = Establishment.objects.select_related("legal_entity", "departement")
    qs = get_objects_for_user(user, perms.DIRECT_ESTABLISHMENT, klass=qs, accept_global_perms=False)
    current = Membership.objects.active_on(day).select_related("groupement").order_by("admitted_on")
    return qs.prefetch_related(
        Prefetch("legal_entity__memberships", queryset=current, to_attr="current_memberships")
    ).order_by("name")


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
    active = Q(memberships__admitted_on__lte=today) & (
        Q(memberships__left_on__isnull=True) | Q(memberships__left_on__gt=today)
    )
    scope = Q(region__in=regions) | Q(departements__in=departements)
    ids = Groupement.objects.filter(scope).values("id")
    return (
        Groupement.objects.filter(id__in=ids)
        .select_related("region")
        .prefetch_related("departements")
        .annotate(member_count=Count("memberships", filter=active & ~Q(memberships__category="PARTNER")))
        .order_by("region__name", "name")
    )
