"""Reads of the ARS review pages. Every list is scoped to the reader's territory in the ORM."""

import datetime
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from members.enums import DerogationGround, EligibilityCategory
from members.models import (
    Departement,
    Derogation,
    Establishment,
    GhtMembership,
    Membership,
    Region,
    establishment_open_q,
)


class CoverageStatus(models.TextChoices):
    """How a mandatory establishment meets the obligation to join a GTSMS or a GHT (L. 312-7-2 I CASF)."""

    GTSMS = "GTSMS", "Membre d'un GTSMS"
    GHT = "GHT", "Membre d'un GHT"
    DEROGATION = "DEROGATION", "Dérogation accordée"
    NONE = "NONE", "Aucun rattachement"


@dataclass
class CoverageCounts:
    mandatory: int = 0
    gtsms: int = 0
    ght: int = 0
    derogation: int = 0
    none: int = 0

    def add(self, status: str, n: int = 1) -> None:
        self.mandatory += n
        name = CoverageStatus(status).value.lower()
        setattr(self, name, getattr(self, name) + n)

    def of(self, status: str) -> int:
        """The number with ``status``, or all of them for ``""``."""
        return getattr(self, CoverageStatus(status).value.lower()) if status else self.mandatory


@dataclass
class DepartementCoverage:
    departement: Departement
    counts: CoverageCounts = field(default_factory=CoverageCounts)


@dataclass
class TerritoryCoverage:
    day: datetime.date
    departements: list[DepartementCoverage]
    totals: CoverageCounts

    @property
    def empty_departements(self) -> list[Departement]:
        """Départements of the territory with no open mandatory establishment on record."""
        return [group.departement for group in self.departements if not group.counts.mandatory]

    def get(self, code: str) -> DepartementCoverage | None:
        return next((group for group in self.departements if group.departement.code == code), None)


def _status(day: datetime.date) -> Case:
    """Each establishment is counted once: in a GTSMS, else in a GHT, else with a dérogation, else none.

    L. 312-7-2 I CASF: a mandatory establishment joins a GTSMS (as a member, not a partner) or a GHT
    (L. 6132-1 CSP), unless a dérogation is granted (R. 312-194-32: an explicit decision of the DG ARS
    known on ``day``, as ``members.eligibility.derogation_status`` says). A GHT membership counts from
    ``since`` to ``until`` included.
    """
    entity = OuterRef("legal_entity")
    gtsms = Membership.objects.gtsms_members().filter(legal_entity=entity).active_on(day)
    ghts = GhtMembership.objects.filter(legal_entity=entity, since__lte=day).filter(
        Q(until__isnull=True) | Q(until__gte=day)
    )
    granted = Derogation.objects.granted_on(day).filter(legal_entity=entity)
    return Case(
        When(Exists(gtsms), then=Value(CoverageStatus.GTSMS.value)),
        When(Exists(ghts), then=Value(CoverageStatus.GHT.value)),
        When(Exists(granted), then=Value(CoverageStatus.DEROGATION.value)),
        default=Value(CoverageStatus.NONE.value),
        output_field=models.CharField(),
    )


def _scope_departements(regions: list[Region], departements: list[Departement]) -> list[Departement]:
    return list(
        Departement.objects.filter(Q(region__in=regions) | Q(code__in=[d.code for d in departements]))
        .select_related("region")
        .order_by("code")
    )


def _mandatory(departements, day: datetime.date) -> models.QuerySet[Establishment]:
    """The mandatory establishments of ``departements`` open on ``day`` (``open_on``), and the closed
    ones whose legal entity is still a GTSMS member: they are shown "fermé dans FINESS", and the
    membership lasts until the groupement records its end."""
    still_members = Membership.objects.gtsms_members().active_on(day).values("legal_entity")
    return Establishment.objects.filter(
        departement__in=departements, eligibility=EligibilityCategory.MANDATORY
    ).filter(establishment_open_q(day) | Q(legal_entity__in=still_members))


def coverage_for_territory(
    *, regions: list[Region], departements: list[Departement], day: datetime.date | None = None
) -> TerritoryCoverage:
    """How the open mandatory establishments of the reader's territory meet the obligation on ``day``.

    Counts per département and in total, computed by PostgreSQL (one aggregate over the status of
    ``_status``): two queries whatever the number of establishments.
    """
    day = day or timezone.localdate()
    scope = _scope_departements(regions, departements)
    by_code = {departement.code: DepartementCoverage(departement=departement) for departement in scope}
    totals = CoverageCounts()
    counts = (
        _mandatory(scope, day)
        .annotate(status=_status(day))
        .values("departement_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in counts:
        by_code[row["departement_id"]].counts.add(row["status"], row["n"])
        totals.add(row["status"], row["n"])
    return TerritoryCoverage(day=day, departements=list(by_code.values()), totals=totals)


ROW_FIELDS = (
    *("id", "name", "finess", "category_code", "category_label", "legal_entity__name", "legal_entity__finess"),
    *("closed", "closed_on"),
    *("status", "gtsms_name", "gtsms_since", "ght_name", "ght_since", "derogation_on", "derogation_ground"),
)


def coverage_rows(
    *, departement: Departement, status: str = "", day: datetime.date | None = None
) -> models.QuerySet[Establishment]:
    """The open mandatory establishments of one département, each with where it belongs on ``day``.

    Rows are dicts (``.values()``): the establishment, its legal entity, its ``status`` (``_status``),
    the GTSMS it is a member of (``gtsms_name``, ``gtsms_since``), its latest GHT (``ght_name``,
    ``ght_since``) and its granted dérogation (``derogation_on``, ``derogation_ground``). Slice it: one
    query per page. ``status`` keeps one ``CoverageStatus`` only.
    """
    day = day or timezone.localdate()
    entity = OuterRef("legal_entity")
    gtsms = Membership.objects.gtsms_members().filter(legal_entity=entity).active_on(day).order_by("admitted_on")
    ghts = (
        GhtMembership.objects.filter(legal_entity=entity, since__lte=day)
        .filter(Q(until__isnull=True) | Q(until__gte=day))
        .order_by("-since")
    )
    granted = Derogation.objects.granted_on(day).filter(legal_entity=entity).order_by("-received_on", "-id")
    qs = _mandatory([departement], day).annotate(status=_status(day))
    if status:
        qs = qs.filter(status=CoverageStatus(status).value)
    return (
        qs.annotate(
            gtsms_name=Subquery(gtsms.values("groupement__name")[:1]),
            gtsms_since=Subquery(gtsms.values("admitted_on")[:1]),
            ght_name=Subquery(ghts.values("ght_name")[:1]),
            ght_since=Subquery(ghts.values("since")[:1]),
            derogation_on=Subquery(granted.values("decision_on")[:1]),
            derogation_ground=Subquery(granted.values("ground")[:1]),
        )
        .values(*ROW_FIELDS)
        .order_by("name", "finess")
    )


def coverage_row_labels(rows: list[dict]) -> list[dict]:
    """The French labels of a page of ``coverage_rows`` (status, ground of the dérogation)."""
    for row in rows:
        row["status_label"] = CoverageStatus(row["status"]).label
        row["is_uncovered"] = row["status"] == CoverageStatus.NONE
        row["derogation_ground_label"] = (
            DerogationGround(row["derogation_ground"]).label if row["derogation_ground"] else ""
        )
    return rows
