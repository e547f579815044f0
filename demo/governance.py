"""Governance demo of each groupement: its convention and one avenant, a past ordinary AG (budget and an
admission adopted, the director proposed), a meeting that failed its quorum and its second call, an
upcoming meeting with convocations sent (and one proxy given), and the complete director file.

Dates follow the groupement's founding and today's date, so the demo stays coherent whenever it is
loaded. Idempotent: a groupement that already has a convention is left as it is.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from governance import services
from governance.enums import AttendanceStatus, DeliberationKind
from governance.models import ConventionVersion, DirectorNomination
from members.enums import EligibilityCategory, GroupementKind, MembershipCategory
from members.models import Establishment, Groupement, LegalEntity, Membership


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _candidate(groupement: Groupement) -> LegalEntity | None:
    """A public entity of the groupement's départements that belongs to no GTSMS yet (real FINESS data)."""
    taken = Membership.objects.filter(groupement_kind=GroupementKind.GTSMS).values("legal_entity")
    entity_ids = (
        Establishment.objects.filter(
            departement__in=groupement.departements.all(),
            eligibility__in=[EligibilityCategory.MANDATORY, EligibilityCategory.OPTIONAL],
            closed=False,
        )
        .exclude(legal_entity__in=taken)
        .values("legal_entity")
    )
    return LegalEntity.objects.filter(pk__in=entity_ids, closed=False).order_by("finess").first()


def _hold(meeting, *, present: int | None = None, proxies: int = 0, votes: dict | None = None) -> None:
    """Record attendance (the first ``present`` members present, the next ``proxies`` represented),
    votes (all for), then close."""
    attendances = list(meeting.attendances.select_related("membership").order_by("membership__legal_entity__name"))
    present = len(attendances) if present is None else present
    rows = []
    for index, attendance in enumerate(attendances):
        if index < present:
            rows.append(
                services.AttendanceInput(
                    attendance.membership_id,
                    AttendanceStatus.PRESENT,
                    representative_name=f"Représentant n° {index + 1}",
                )
            )
        elif index < present + proxies:
            holder = attendances[index - present].membership_id
            rows.append(services.AttendanceInput(attendance.membership_id, AttendanceStatus.REPRESENTED, holder))
        else:
            rows.append(services.AttendanceInput(attendance.membership_id, AttendanceStatus.ABSENT))
    services.attendance_record(meeting=meeting, rows=rows)
    quorum = services.meeting_quorum(meeting)
    if quorum.reached:
        voters = [r.membership_id for r in rows if r.status != AttendanceStatus.ABSENT]
        for deliberation in meeting.deliberations.all():
            services.votes_record(deliberation=deliberation, choices=dict.fromkeys(voters, "FOR"))
    services.meeting_close(meeting=meeting)


def governance_demo_load(
    groupement: Groupement, *, founded_on: datetime.date, published_on, publication_reference
) -> None:
    """The governance demo of one groupement (platform actor: no right checked, everything journaled)."""
    if ConventionVersion.objects.filter(groupement=groupement).exists():
        return
    today = timezone.localdate()
    initial = services.convention_version_record(
        groupement=groupement,
        signed_on=founded_on,
        effective_on=founded_on,
        adoption_act="Signée par les membres fondateurs",
        purpose=(
            "Mettre en œuvre une stratégie commune d'accompagnement des personnes âgées dans une logique de parcours "
            "et rationaliser les modes de gestion par la mise en commun de fonctions (art. L. 312-7-2 CASF)."
        ),
        seat=f"{groupement.seat_address}, {groupement.seat_postal_code} {groupement.seat_city}",
        duration="indéterminée",
        pooled_functions="Achats ; systèmes d'information et dossier de l'usager ; formation continue",
        contributions_rule="Parts égales entre les membres, revues chaque année avec le budget (R. 312-194-7 8°).",
    )
    services.convention_transmission_record(
        version=initial,
        transmitted_on=founded_on,
        published_on=published_on,
        publication_reference=publication_reference or "",
    )

    # A past ordinary AG: budget adopted, an admission adopted (its avenant follows), the director proposed.
    past_day = founded_on + datetime.timedelta(days=70)
    past = services.meeting_create(
        groupement=groupement, scheduled_at=_at(past_day, 14), place=f"Siège, {groupement.seat_city}"
    )
    services.deliberation_add(
        meeting=past,
        kind=DeliberationKind.BUDGET,
        title=f"Budget {past_day.year + 1}",
        description="Budget principal et budget annexe des fonctions mutualisées.",
    )
    candidate = _candidate(groupement)
    if candidate is not None:
        services.deliberation_add(
            meeting=past,
            kind=DeliberationKind.ADMISSION,
            title=f"Admission de « {candidate.name} »",
            candidate_entity=candidate,
            candidate_category=MembershipCategory.OPTIONAL,
            candidate_voting_rights=Decimal(1),
            candidate_contribution_share=Decimal(0),
            effective_on=past_day + datetime.timedelta(days=1),
        )
    if groupement.kind == GroupementKind.GTSMS:
        services.deliberation_add(
            meeting=past,
            kind=DeliberationKind.DIRECTOR_PROPOSAL,
            title="Proposition de nomination du directeur",
            director_candidate=f"{groupement.name} — Mme Anne Lavergne, D3S",
        )
    services.meeting_convene(meeting=past, sent_at=_at(past_day - datetime.timedelta(days=20), 9))
    _hold(past)
    admission = past.deliberations.filter(kind=DeliberationKind.ADMISSION).first()
    if admission is not None:
        services.convention_version_record(
            groupement=groupement,
            signed_on=past_day,
            effective_on=past_day + datetime.timedelta(days=1),
            adoption_act=f"Délibération n° {admission.order} de l'assemblée générale du {past_day:%d/%m/%Y}",
            changes=(
                f"Avenant n° 1 : admission de « {admission.candidate_entity.name} » ; liste des membres mise à jour."
            ),
            adopted_by=admission,
        )

    # A meeting without quorum (20 days ago), then its second call 15 days later, which decides.
    failed_day = today - datetime.timedelta(days=20)
    failed = services.meeting_create(
        groupement=groupement, scheduled_at=_at(failed_day, 10), place=f"Siège, {groupement.seat_city}"
    )
    services.deliberation_add(
        meeting=failed,
        kind=DeliberationKind.ACCOUNTS,
        title=f"Comptes {today.year - 1 if today.month < 7 else today.year} et affectation du résultat",
    )
    services.meeting_convene(meeting=failed, sent_at=_at(failed_day - datetime.timedelta(days=16), 9))
    _hold(failed, present=2)
    second = services.meeting_second_call(first=failed, scheduled_at=_at(failed_day + datetime.timedelta(days=15), 14))
    services.meeting_convene(meeting=second, sent_at=_at(failed_day, 12))
    _hold(second, present=3)

    # An upcoming meeting, convened today; one member has given its proxy.
    upcoming = services.meeting_create(
        groupement=groupement,
        scheduled_at=_at(today + datetime.timedelta(days=20), 14),
        place=f"Siège, {groupement.seat_city}",
        video_link="https://visio.example.fr/ag",
    )
    services.deliberation_add(meeting=upcoming, kind=DeliberationKind.BUDGET, title=f"Budget {today.year + 1}")
    services.deliberation_add(meeting=upcoming, kind=DeliberationKind.INTERNAL_RULES, title="Règlement intérieur")
    services.meeting_convene(meeting=upcoming)
    attendances = list(
        upcoming.attendances.select_related("membership__legal_entity").order_by("membership__legal_entity__name")
    )
    if len(attendances) > 2:
        services.proxy_give(meeting=upcoming, membership=attendances[-1].membership, holder=attendances[0].membership)

    # The director file, complete: proposal → PCD opinion → DG ARS decision → D3S → mandate.
    nomination = DirectorNomination.objects.filter(groupement=groupement).first()
    if nomination is not None:
        for departement in groupement.departements.all():
            services.director_opinion_record(
                nomination=nomination,
                departement=departement,
                opinion="FAVOURABLE",
                given_on=past_day + datetime.timedelta(days=10),
                reference=f"Avis du PCD {departement.code}",
            )
        services.director_decision_record(
            nomination=nomination,
            decision="NOMINATED",
            decision_on=past_day + datetime.timedelta(days=30),
            reference=f"Arrêté du DG ARS n° {past_day.year}-{groupement.pk:03d}",
        )
        services.director_qualification_record(
            nomination=nomination,
            corps="Directeur d'établissement sanitaire, social et médico-social (D3S)",
            since=datetime.date(2012, 9, 1),
        )
        services.director_mandate_start(nomination=nomination, start=past_day + datetime.timedelta(days=31))
