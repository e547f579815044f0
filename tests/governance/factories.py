"""Helpers that build governance situations through the real services."""

import datetime
from decimal import Decimal

from django.utils import timezone

from governance import services
from members.services import membership_admit
from tests.members.factories import GroupementFactory, LegalEntityFactory


def groupement_with_members(rights=(40, 30, 20, 10), *, kind="GTSMS", admitted_on=datetime.date(2025, 1, 1)):
    """A groupement whose members hold ``rights``; returns (groupement, memberships)."""
    groupement = GroupementFactory(kind=kind)
    memberships = []
    total = sum(rights)
    for value in rights:
        memberships.append(
            membership_admit(
                groupement=groupement,
                legal_entity=LegalEntityFactory(),
                category="MANDATORY",
                admitted_on=admitted_on,
                act="Convention constitutive",
                voting_rights=Decimal(value),
                contribution_share=(Decimal(value) * 100 / total).quantize(Decimal("0.0001")),
                founding=True,
            )
        )
    return groupement, memberships


def at(days: float, hour: int = 14) -> datetime.datetime:
    """``days`` from now, at ``hour`` local time."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def convened_meeting(groupement, *, days_ago=1, kinds=("BUDGET",), urgent=False, **deliberation):
    """A meeting held ``days_ago`` days ago, convened 20 days before it, with one deliberation per kind."""
    meeting = services.meeting_create(groupement=groupement, scheduled_at=at(-days_ago), place="Siège", urgent=urgent)
    for kind in kinds:
        services.deliberation_add(meeting=meeting, kind=kind, title=f"Point {kind}", **deliberation)
    services.meeting_convene(meeting=meeting, sent_at=at(-days_ago - 20))
    return meeting


def attend(meeting, memberships, statuses, holders=None):
    holders = holders or {}
    rows = [
        services.AttendanceInput(
            membership_id=m.pk, status=s, holder_id=memberships[holders[i]].pk if i in holders else None
        )
        for i, (m, s) in enumerate(zip(memberships, statuses, strict=True))
    ]
    return services.attendance_record(meeting=meeting, rows=rows)
