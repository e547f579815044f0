"""Reads of the ARS review pages. Every list is scoped to the reader's territory in the ORM."""

import datetime
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Prefetch, Q
from django.utils import timezone

from members.eligibility import DerogationStatus, derogation_status
from members.enums import EligibilityCategory, GroupementKind
from members.models import Departement, Derogation, Establishment, GhtMembership, Membership, Region


class CoverageStatus(models.TextChoices):
    """How a mandatory establishment meets the obligation to join a GTSMS or a GHT (L. 312-7-2 I CASF)."""

    GTSMS = "GTSMS", "Membre d'un GTSMS"
    GHT = "GHT", "Membre d'un GHT"
    DEROGATION = "DEROGATION", "Dérogation accordée"
    NONE = "NONE", "Aucun rattachement"


@dataclass
class CoverageRow:
    """One mandatory establishment and where it belongs on the day of the page."""

    establishment: Establishment
    gtsms: list[Membership]
    ghts: list[GhtMembership]
    derogation: Derogation | None
    status: CoverageStatus

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def is_uncovered(self) -> bool:
        return self.status == CoverageStatus.NONE


@dataclass
class CoverageCounts:
    mandatory: int = 0
    gtsms: int = 0
    ght: int = 0
    derogation: int = 0
    none: int = 0

    def add(self, status: CoverageStatus) -> None:
        self.mandatory += 1
        setattr(self, status.value.lower(), getattr(self, status.value.lower()) + 1)


@dataclass
class DepartementCoverage:
    departement: Departement
    rows: list[CoverageRow] = field(default_factory=list)
    counts: CoverageCounts = field(default_factory=CoverageCounts)


@dataclass
class TerritoryCoverage:
    day: datetime.date
    departements: list[DepartementCoverage]
    totals: CoverageCounts

    @property
    def empty_departements(self) -> list[Departement]:
        """Départements of the territory with no open mandatory establishment on record."""
        return [group.departement for group in self.departements if not group.rows]


def _status(*, gtsms: list, ghts: list, derogation: Derogation | None) -> CoverageStatus:
    """Each establishment is counted once: in a GTSMS, else in a GHT, else with a dérogation, else none."""
    if gtsms:
        return CoverageStatus.GTSMS
    if ghts:
        return CoverageStatus.GHT
    if derogation is not None:
        return CoverageStatus.DEROGATION
    return CoverageStatus.NONE


def coverage_for_territory(
    *, regions: list[Region], departements: list[Departement], day: datetime.date | None = None
) -> TerritoryCoverage:
    """Every open mandatory establishment of the reader's territory and where it belongs on ``day``
    (and the closed ones whose legal entity is still a GTSMS member).

    L. 312-7-2 I CASF: a mandatory establishment joins a GTSMS (as a member, not a partner) or a GHT
    (L. 6132-1 CSP), unless a dérogation is granted (R. 312-194-32; its status comes from
    ``members.eligibility.derogation_status``). A GHT membership counts from ``since`` to ``until``
    included. Five queries whatever the number of establishments.
    """
    day = day or timezone.localdate()
    scope_departements = list(
        Departement.objects.filter(Q(region__in=regions) | Q(code__in=[d.code for d in departements]))
        .select_related("region")
        .order_by("code")
    )
    gtsms = (
        Membership.objects.filter(groupement_kind=GroupementKind.GTSMS)
        .members()
        .active_on(day)
        .select_related("groupement")
        .order_by("admitted_on")
    )
    ghts = GhtMembership.objects.filter(since__lte=day).filter(Q(until__isnull=True) | Q(until__gte=day))
    establishments = (
        Establishment.objects.filter(departement__in=scope_departements, eligibility=EligibilityCategory.MANDATORY)
        # A closed establishment still counts while its legal entity is a GTSMS member: it is shown
        # "fermé dans FINESS", and its membership lasts until the groupement records its end.
        .filter(Q(closed=False) | Q(legal_entity__in=gtsms.values("legal_entity")))
        .select_related("legal_entity")
        .prefetch_related(
            Prefetch("legal_entity__memberships", queryset=gtsms, to_attr="current_gtsms"),
            Prefetch("legal_entity__ght_memberships", queryset=ghts.order_by("-since"), to_attr="current_ghts"),
            Prefetch(
                "legal_entity__derogations",
                queryset=Derogation.objects.order_by("-received_on", "-id"),
                to_attr="derogation_list",
            ),
        )
        .order_by("departement_id", "name", "finess")
    )
    by_code = {departement.code: DepartementCoverage(departement=departement) for departement in scope_departements}
    totals = CoverageCounts()
    for establishment in establishments:
        entity = establishment.legal_entity
        granted = next(
            (d for d in entity.derogation_list if derogation_status(d, on=day) == DerogationStatus.GRANTED), None
        )
        status = _status(gtsms=entity.current_gtsms, ghts=entity.current_ghts, derogation=granted)
        row = CoverageRow(
            establishment=establishment,
            gtsms=entity.current_gtsms,
            ghts=entity.current_ghts,
            derogation=granted,
            status=status,
        )
        group = by_code[establishment.departement_id]
        group.rows.append(row)
        group.counts.add(status)
        totals.add(status)
    return TerritoryCoverage(day=day, departements=list(by_code.values()), totals=totals)
