"""Reads of the governance room: lists scoped by groupement, with fixed prefetches and order."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from core.formatting import format_date
from governance import perms, rules
from governance.enums import AttendanceStatus, DeliberationKind, MeetingStatus, NominationDecision, Outcome
from governance.models import (
    Attendance,
    ConventionVersion,
    Deliberation,
    DirectorNomination,
    Meeting,
    PcdOpinion,
    Vote,
)
from members.access import directed_establishments


def meeting_list(*, groupement) -> QuerySet[Meeting]:
    """A groupement's meetings, latest first, with their agenda size and second call."""
    return (
        Meeting.objects.filter(groupement=groupement)
        .select_related("first_call", "second_call")
        .annotate(item_count=Count("deliberations"))
        .order_by("-scheduled_at", "-id")
    )


def meeting_get(*, groupement, meeting_id: int) -> Meeting:
    return Meeting.objects.select_related("groupement__region", "first_call", "second_call").get(
        groupement=groupement, pk=meeting_id
    )


@dataclass
class MeetingDetail:
    attendances: list[Attendance]
    deliberations: list[Deliberation]
    quorum: rules.Quorum | None
    proxies: list[Attendance] = field(default_factory=list)


def meeting_detail(*, meeting: Meeting, with_votes: bool = True) -> MeetingDetail:
    """Attendance (with proxies), agenda with outcomes and, if asked, each deliberation's votes: four queries."""
    attendances = list(
        meeting.attendances.select_related("membership__legal_entity", "proxy_holder__legal_entity").order_by(
            "membership__legal_entity__name", "id"
        )
    )
    deliberations = meeting.deliberations.select_related(
        "concerned_membership__legal_entity", "candidate_entity"
    ).order_by("order")
    if with_votes:
        deliberations = deliberations.prefetch_related(
            Prefetch(
                "votes",
                queryset=Vote.objects.select_related("membership__legal_entity").order_by(
                    "membership__legal_entity__name"
                ),
            )
        )
    quorum = None
    if attendances:
        rights = {a.membership_id: a.voting_rights for a in attendances}
        attending = [a.membership_id for a in attendances if a.status != AttendanceStatus.ABSENT]
        quorum = rules.quorum(rights=rights, attending=attending, second_call=meeting.is_second_call)
    return MeetingDetail(
        attendances=attendances,
        deliberations=list(deliberations),
        quorum=quorum,
        proxies=[a for a in attendances if a.status == AttendanceStatus.REPRESENTED],
    )


def convention_versions(*, groupement) -> QuerySet[ConventionVersion]:
    return (
        ConventionVersion.objects.filter(groupement=groupement)
        .select_related("adopted_by__meeting")
        .prefetch_related("annexes", "members__legal_entity")
        .order_by("-number")
    )


def avenants_due(*, groupement) -> QuerySet[Deliberation]:
    """Adopted admissions, exclusions and withdrawals that still wait for their avenant (R. 312-194-10 CASF)."""
    return (
        Deliberation.objects.filter(
            meeting__groupement=groupement,
            outcome=Outcome.ADOPTED,
            kind__in=[DeliberationKind.ADMISSION, DeliberationKind.EXCLUSION, DeliberationKind.WITHDRAWAL_TERMS],
        )
        .filter(convention_versions__isnull=True)
        .select_related("meeting")
        .order_by("meeting__scheduled_at", "order")
    )


def nomination_queryset() -> QuerySet[DirectorNomination]:
    return DirectorNomination.objects.select_related("groupement", "proposal__meeting").prefetch_related(
        Prefetch("opinions", queryset=PcdOpinion.objects.select_related("departement").order_by("departement"))
    )


def nomination_list(*, groupement) -> QuerySet[DirectorNomination]:
    return nomination_queryset().filter(groupement=groupement).order_by("-created_at", "-id")


def current_director(*, groupement, day: datetime.date | None = None) -> DirectorNomination | None:
    """Who directs the groupement on ``day``, and since when (one current director at a time)."""
    day = day or timezone.localdate()
    return (
        DirectorNomination.objects.filter(groupement=groupement, mandate_start__lte=day)
        .filter(Q(mandate_end__isnull=True) | Q(mandate_end__gt=day))
        .order_by("-mandate_start")
        .first()
    )


def current_administrator(*, groupement, day: datetime.date | None = None):
    day = day or timezone.localdate()
    return (
        groupement.administrator_mandates.filter(start__lte=day, end__gt=day)
        .select_related("representing__legal_entity")
        .order_by("-start")
        .first()
    )


@dataclass(frozen=True)
class Step:
    label: str
    done: bool
    detail: str


def nomination_steps(nomination: DirectorNomination, departements=None) -> list[Step]:
    """The steps of the file in their legal order (decree.md 3.2.3), with what is recorded for each."""
    steps = []
    if nomination.interim:
        steps.append(
            Step("Intérim (sans proposition de l'assemblée)", True, "hypothèse : les textes lus ne le règlent pas")
        )
    else:
        proposal = nomination.proposal
        steps.append(
            Step(
                "Proposition de l'assemblée générale",
                proposal is not None,
                f"{proposal.meeting}, délibération n° {proposal.order} : {proposal.outcome_label}" if proposal else "",
            )
        )
        expected = list(nomination.groupement.departements.all()) if departements is None else departements
        given = {o.departement_id: o for o in nomination.opinions.all()}
        for departement in expected:
            opinion = given.get(departement.pk)
            steps.append(
                Step(
                    f"Avis du président du conseil départemental — {departement}",
                    opinion is not None,
                    f"{opinion.get_opinion_display()} le {format_date(opinion.given_on)} "
                    f"({opinion.reference or 'sans référence'})"
                    if opinion
                    else "",
                )
            )
    steps.append(
        Step(
            "Décision du DG ARS",
            bool(nomination.decision),
            f"{nomination.get_decision_display()} le {format_date(nomination.decision_on)} "
            f"({nomination.decision_reference})"
            if nomination.decision
            else "",
        )
    )
    steps.append(
        Step(
            "Qualification D3S",
            bool(nomination.d3s_corps),
            f"{nomination.d3s_corps}, depuis le {format_date(nomination.d3s_since)}" if nomination.d3s_corps else "",
        )
    )
    steps.append(
        Step(
            "Mandat",
            nomination.mandate_start is not None and nomination.decision == NominationDecision.NOMINATED,
            (
                f"depuis le {format_date(nomination.mandate_start)}"
                + (f", jusqu'au {format_date(nomination.mandate_end)}" if nomination.mandate_end else "")
            )
            if nomination.mandate_start
            else "",
        )
    )
    return steps


# --- Portal -------------------------------------------------------------------------------------------------


@dataclass
class PortalMeeting:
    meeting: Meeting
    attendance: Attendance
    can_give_proxy: bool
    holders: list[Attendance]


def portal_meetings(*, user, now=None) -> tuple[list[PortalMeeting], list[Meeting]]:
    """Convocations of the members whose establishments the user directs (upcoming), and past meetings."""
    now = now or timezone.now()
    entity_ids = directed_establishments(user).values("legal_entity_id")
    attendances = list(
        Attendance.objects.filter(membership__legal_entity_id__in=entity_ids)
        .exclude(meeting__status=MeetingStatus.DRAFT)
        .select_related(
            "meeting__groupement", "meeting__first_call", "membership__legal_entity", "proxy_holder__legal_entity"
        )
        .prefetch_related("membership__legal_entity__establishments")
        .order_by("meeting__scheduled_at", "id")
    )
    upcoming_ids = [a.meeting_id for a in attendances if a.meeting.scheduled_at > now]
    others = {}
    for a in (
        Attendance.objects.filter(meeting_id__in=upcoming_ids)
        .select_related("membership__legal_entity")
        .order_by("membership__legal_entity__name")
    ):
        others.setdefault(a.meeting_id, []).append(a)
    upcoming, past = [], []
    for attendance in attendances:
        meeting = attendance.meeting
        if meeting.scheduled_at > now and meeting.status == MeetingStatus.CONVENED:
            upcoming.append(
                PortalMeeting(
                    meeting=meeting,
                    attendance=attendance,
                    # The user directs this member (the query above): only the meeting's state remains.
                    can_give_proxy=perms.proxy_window_open(meeting, now=now),
                    holders=[o for o in others.get(meeting.pk, []) if o.membership_id != attendance.membership_id],
                )
            )
        elif meeting.status == MeetingStatus.CLOSED and meeting not in past:
            past.append(meeting)
    return upcoming, past
