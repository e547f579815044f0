"""Eligibility report: the establishments of a territory and what the law says of each (L. 312-7-2 CASF)."""

import datetime

from django.db.models import Q

from members.eligibility import MEDICO_SOCIAL
from members.enums import EligibilityCategory
from members.models import Establishment, Membership


REPORT_COLUMNS = (
    "finess_et",
    "finess_ej",
    "name",
    "category_code",
    "statut_code",
    "membership_category",
    "rule",
    "groupements",
)
IN_SCOPE = (EligibilityCategory.MANDATORY, EligibilityCategory.OPTIONAL, EligibilityCategory.PARTNER_ONLY)


def eligibility_report_rows(
    *, departement: str | None = None, region: str | None = None, day: datetime.date | None = None
) -> list[dict]:
    """One row per open establishment of the territory in the médico-social scope, in FINESS order.

    In scope: eligibility mandatory, optional or partner only, and establishments whose eligibility
    could not be decided (legal entity not imported, rule ``STATUT_UNKNOWN``) when their category is
    médico-social. ``groupements`` names the GTSMS/GCSMS their legal entity belongs to on ``day``
    (today by default), "; "-joined. Two queries, whatever the number of rows.
    """
    establishments = Establishment.objects.filter(closed=False).filter(
        Q(eligibility__in=IN_SCOPE) | Q(eligibility="", category_code__in=MEDICO_SOCIAL)
    )
    if departement:
        establishments = establishments.filter(departement_id=departement)
    if region:
        establishments = establishments.filter(departement__region_id=region)
    rows = list(
        establishments.order_by("finess").values_list(
            "finess",
            "legal_entity__finess",
            "name",
            "category_code",
            "legal_entity__statut_code",
            "eligibility",
            "eligibility_rule",
            "legal_entity_id",
        )
    )
    names: dict[int, list[str]] = {}
    memberships = (
        Membership.objects.active_on(day)
        .filter(legal_entity_id__in=establishments.values("legal_entity_id"))
        .order_by("groupement__name")
        .values_list("legal_entity_id", "groupement__name")
    )
    for legal_entity_id, name in memberships:
        names.setdefault(legal_entity_id, [])
        if name not in names[legal_entity_id]:
            names[legal_entity_id].append(name)
    return [dict(zip(REPORT_COLUMNS, (*row[:7], "; ".join(names.get(row[7], []))), strict=True)) for row in rows]
