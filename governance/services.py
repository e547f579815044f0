"""Writes of the governance room: convention versions, assemblées générales, the director's file.

Every write checks the acting user's right (``actor=None`` is the platform: demo, worker), refuses
what the law refuses with a French message naming the field and the article, and is journaled with
its groupement. The one service that decides an outcome is ``deliberation_outcome_compute``; the
effects of adopted deliberations call the members services (``membership_admit``,
``membership_exclude``, ``membership_withdraw``), never rewrite them.
"""

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.enums import JournalAction
from core.exceptions import BusinessRuleError
from core.formatting import format_date
from core.journal import journal_record
from core.perms import checker_for, require
from documents.services import document_request
from governance import notify, perms, rules
from governance.enums import (
    ArsDecision,
    AttendanceStatus,
    DeliberationKind,
    MeetingStatus,
    NominationDecision,
    OrdinaryMajority,
    Outcome,
    Requester,
    VersionKind,
    VoteChoice,
)
from governance.models import (
    AdministratorMandate,
    Attendance,
    ConventionAnnex,
    ConventionMember,
    ConventionVersion,
    Deliberation,
    DirectorNomination,
    Meeting,
    PcdOpinion,
    Vote,
)
from members.enums import GroupementKind, MembershipCategory, Opinion
from members.models import Departement, Groupement, LegalEntity, Membership
from members.selectors import with_terms_on
from members.services import membership_admit, membership_exclude, membership_withdraw


MAX_PDF_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
CONVENTION_FIELDS = (
    "name",
    "purpose",
    "seat",
    "duration",
    "contributions_rule",
    "pooled_functions",
    "budget_framework",
    "staff_terms",
    "membership_terms",
    "dissolution_terms",
    "convocation_days",
    "urgent_convocation_hours",
    "ordinary_majority",
    "chair",
    "rights_basis",
)


# --- Shared ------------------------------------------------------------------------------------------


def _full_clean(instance: models.Model, exclude: Iterable[str] = ()) -> None:
    """``full_clean()`` with its errors as one French business error naming each field."""
    try:
        instance.full_clean(exclude=list(exclude))
    except BusinessRuleError:
        raise
    except ValidationError as error:
        messages = []
        for field, field_messages in error.message_dict.items():
            label = "" if field == "__all__" else f"{instance._meta.get_field(field).verbose_name} : "
            messages.extend(f"{label}{message}" for message in field_messages)
        raise BusinessRuleError(messages) from error


def _require(actor, allowed_for, message: str) -> None:
    if actor is not None:
        require(allowed_for(checker_for(actor)), message)


def _local_date(value: datetime.datetime) -> datetime.date:
    return timezone.localtime(value).date()


def _check_not_closed(meeting: Meeting) -> None:
    """A closed meeting is frozen: nothing about it changes except through a new deliberation."""
    if meeting.status == MeetingStatus.CLOSED:
        raise BusinessRuleError(
            f"{meeting} est close : elle ne peut plus être modifiée. "
            "Une correction passe par une nouvelle délibération."
        )


def _lock_meeting(meeting: Meeting) -> Meeting:
    Meeting.objects.select_for_update(of=("self",)).filter(pk=meeting.pk).values_list("pk").get()
    meeting.refresh_from_db()
    return meeting


def _members_on(groupement_id: int, day: datetime.date) -> models.QuerySet[Membership]:
    """Members proper (not partners) on ``day``, with their droits sociaux in force on that day."""
    qs = Membership.objects.filter(groupement_id=groupement_id).members().active_on(day)
    return with_terms_on(qs, day).select_related("legal_entity").order_by("legal_entity__name", "id")


def check_pdf(upload, *, field: str) -> bytes:
    """An uploaded PDF: at most 10 Mo, and a PDF by its content (it starts with ``%PDF-``), whatever its name says."""
    if upload is None:
        raise BusinessRuleError(f"{field} : déposez un fichier PDF.")
    if upload.size > MAX_PDF_BYTES:
        raise BusinessRuleError(
            f"{field} : le fichier pèse {upload.size / 1024 / 1024:.1f} Mo, la limite est de "
            f"{MAX_PDF_BYTES // 1024 // 1024} Mo.".replace(".", ",", 1)
        )
    upload.seek(0)
    content = upload.read()
    if not content.startswith(PDF_MAGIC):
        raise BusinessRuleError(f"{field} : le fichier « {upload.name} » n'est pas un PDF (son contenu ne l'est pas).")
    return content


# --- Convention constitutive -------------------------------------------------------------------------


@dataclass(frozen=True)
class GovernanceSettings:
    """The settings the rules read, from the version in force on a date (or the legal defaults)."""

    convocation_days: int
    urgent_convocation_hours: int
    ordinary_majority: str
    chair: str
    rights_basis: str
    version: ConventionVersion | None

    @property
    def source(self) -> str:
        if self.version is None:
            return "défaut légal, aucune convention enregistrée"
        if (
            self.convocation_days == rules.DEFAULT_CONVOCATION_DAYS
            and self.urgent_convocation_hours == rules.DEFAULT_URGENT_CONVOCATION_HOURS
        ):
            return f"défaut légal, repris par la {str(self.version).lower()}"
        return f"délai fixé par la {str(self.version).lower()}"


def governance_settings_on(groupement: Groupement | int, day: datetime.date) -> GovernanceSettings:
    """The governance settings in force on ``day``: from the convention version in force, else the law's defaults."""
    groupement_id = getattr(groupement, "pk", groupement)
    version = ConventionVersion.objects.filter(groupement_id=groupement_id).in_force_on(day)
    if version is None:
        return GovernanceSettings(
            convocation_days=rules.DEFAULT_CONVOCATION_DAYS,
            urgent_convocation_hours=rules.DEFAULT_URGENT_CONVOCATION_HOURS,
            ordinary_majority=OrdinaryMajority.HALF_PRESENT,
            chair="ADMINISTRATOR",
            rights_basis="CONTRIBUTIONS",
            version=None,
        )
    return GovernanceSettings(
        convocation_days=version.convocation_days,
        urgent_convocation_hours=version.urgent_convocation_hours,
        ordinary_majority=version.ordinary_majority,
        chair=version.chair,
        rights_basis=version.rights_basis,
        version=version,
    )


@transaction.atomic
def convention_version_record(
    *,
    groupement: Groupement,
    signed_on: datetime.date,
    effective_on: datetime.date,
    adoption_act: str,
    changes: str = "",
    adopted_by: Deliberation | None = None,
    actor: AbstractBaseUser | None = None,
    **content,
) -> ConventionVersion:
    """Record the initial convention (first call) or an avenant: a new dated version, earlier ones kept.

    An avenant starts from the version it amends (its content and settings are copied, then ``content``
    applies), takes effect after it, and lists the members with their droits sociaux in force on its date.
    An avenant is adopted by a deliberation of the AG (R. 312-194-21 5°, unanimity R. 312-194-22).
    """
    _require(
        actor, lambda c: perms.can_manage_convention(c, groupement), "Vous ne pouvez pas enregistrer la convention."
    )
    Groupement.objects.select_for_update(of=("self",)).filter(pk=groupement.pk).values_list("pk").get()
    unknown = set(content) - set(CONVENTION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown convention fields: {sorted(unknown)}")
    previous = ConventionVersion.objects.filter(groupement=groupement).order_by("-number").first()
    if not (adoption_act or "").strip():
        raise BusinessRuleError("Acte d'adoption : indiquez la signature ou la délibération qui adopte ce texte.")
    if effective_on < signed_on and previous is None:
        raise BusinessRuleError("En vigueur à partir du : la convention ne s'applique pas avant sa signature.")
    version = ConventionVersion(
        groupement=groupement,
        number=0 if previous is None else previous.number + 1,
        kind=VersionKind.INITIAL if previous is None else VersionKind.AVENANT,
        signed_on=signed_on,
        effective_on=effective_on,
        adopted_by=adopted_by,
        adoption_act=adoption_act.strip(),
        changes=changes.strip(),
    )
    if previous is not None:
        if effective_on <= previous.effective_on:
            raise BusinessRuleError(
                f"En vigueur à partir du : la version précédente ({previous}) s'applique depuis le "
                f"{format_date(previous.effective_on)} ; l'avenant doit prendre effet après."
            )
        if not version.changes:
            raise BusinessRuleError("Ce qui change : décrivez ce que l'avenant modifie.")
        if adopted_by is not None and not adopted_by.is_adopted:
            raise BusinessRuleError("Délibération qui l'adopte : cette délibération n'a pas été adoptée.")
        for field in CONVENTION_FIELDS:
            setattr(version, field, getattr(previous, field))
    else:
        version.name = groupement.name
    for field, value in content.items():
        setattr(version, field, value)
    _full_clean(version, exclude=["signed_file"])
    version.save()
    ConventionMember.objects.bulk_create(
        ConventionMember(
            version=version,
            legal_entity_id=m.legal_entity_id,
            category=m.category,
            voting_rights=m.voting_rights or 0,
            contribution_share=m.contribution_share or 0,
        )
        for m in with_terms_on(Membership.objects.filter(groupement=groupement).active_on(effective_on), effective_on)
    )
    journal_record(
        action=JournalAction.CONVENTION_VERSION_RECORDED,
        groupement=groupement,
        actor=actor,
        target=version,
        facts={
            "groupement": groupement.pk,
            "number": version.number,
            "effective_on": effective_on.isoformat(),
            "adopted_by": adopted_by.pk if adopted_by else None,
        },
    )
    return version


@transaction.atomic
def convention_signed_file_attach(*, version: ConventionVersion, upload, actor: AbstractBaseUser | None = None):
    """Attach the signed PDF of a version, stored through Django's storage under a generated name."""
    _require(
        actor,
        lambda c: perms.can_manage_convention(c, version.groupement),
        "Vous ne pouvez pas modifier la convention.",
    )
    content = check_pdf(upload, field="Convention signée (PDF)")
    if version.signed_file:
        raise BusinessRuleError("Convention signée (PDF) : un fichier signé est déjà déposé pour cette version.")
    version.signed_file.save("signee.pdf", ContentFile(content), save=False)
    version.signed_file_original = (upload.name or "")[:200]
    version.signed_file_sha256 = hashlib.sha256(content).hexdigest()
    version.save(update_fields=["signed_file", "signed_file_original", "signed_file_sha256", "updated_at"])
    return version


@transaction.atomic
def convention_annex_add(
    *, version: ConventionVersion, kind: str, title: str, upload, actor: AbstractBaseUser | None = None
) -> ConventionAnnex:
    """Add an annex (projet d'accompagnement partagé, R. 312-194-28; members list with FINESS numbers)."""
    _require(
        actor,
        lambda c: perms.can_manage_convention(c, version.groupement),
        "Vous ne pouvez pas modifier la convention.",
    )
    content = check_pdf(upload, field="Fichier (PDF)")
    annex = ConventionAnnex(
        version=version, kind=kind, title=(title or "").strip(), file_original=(upload.name or "")[:200]
    )
    annex.file_sha256 = hashlib.sha256(content).hexdigest()
    _full_clean(annex, exclude=["file"])
    annex.file.save("annexe.pdf", ContentFile(content), save=False)
    annex.save()
    return annex


@transaction.atomic
def convention_transmission_record(
    *,
    version: ConventionVersion,
    transmitted_on: datetime.date | None,
    ars_decision: str = "",
    ars_decision_on: datetime.date | None = None,
    ars_decision_reference: str = "",
    published_on: datetime.date | None = None,
    publication_reference: str = "",
    actor: AbstractBaseUser | None = None,
) -> ConventionVersion:
    """Record the transmission to the DG ARS (legal personality, decree.md 2.3), the ARS decision where one
    is given (optional: the law is unsettled on approval, decree.md 2.5) and the publication (RAA).

    The dates follow one another and never precede the signature. For the initial convention, the
    groupement's own transmission and publication facts (``members.Groupement``) are kept equal.
    """
    _require(
        actor,
        lambda c: perms.can_manage_convention(c, version.groupement),
        "Vous ne pouvez pas modifier la convention.",
    )
    if transmitted_on is None and (ars_decision or published_on):
        raise BusinessRuleError("Transmise au DG ARS le : la décision et la publication suivent la transmission.")
    if transmitted_on is not None and transmitted_on < version.signed_on:
        raise BusinessRuleError(
            f"Transmise au DG ARS le : la transmission ({format_date(transmitted_on)}) ne peut pas précéder la "
            f"signature ({format_date(version.signed_on)})."
        )
    if ars_decision and ars_decision_on is None:
        raise BusinessRuleError("Décision du DG ARS le : datez la décision.")
    if ars_decision_on is not None and not ars_decision:
        raise BusinessRuleError("Décision du DG ARS : indiquez s'il approuve ou refuse, ou effacez la date.")
    if ars_decision_on is not None and ars_decision_on < transmitted_on:
        raise BusinessRuleError("Décision du DG ARS le : la décision ne peut pas précéder la transmission.")
    if published_on is not None and published_on < transmitted_on:
        raise BusinessRuleError("Publiée au RAA le : la publication ne peut pas précéder la transmission.")
    if published_on is not None and not publication_reference.strip():
        raise BusinessRuleError("Référence de publication (RAA) : indiquez la référence du recueil.")
    if ars_decision == ArsDecision.REFUSED and published_on is not None:
        raise BusinessRuleError("Publiée au RAA le : une convention refusée par le DG ARS n'est pas publiée.")
    version.transmitted_on = transmitted_on
    version.ars_decision = ars_decision
    version.ars_decision_on = ars_decision_on
    version.ars_decision_reference = ars_decision_reference.strip()
    version.published_on = published_on
    version.publication_reference = publication_reference.strip()
    _full_clean(version, exclude=["signed_file"])
    version.save()
    if version.kind == VersionKind.INITIAL:
        Groupement.objects.filter(pk=version.groupement_id).update(
            convention_transmitted_on=transmitted_on,
            published_on=published_on,
            publication_reference=version.publication_reference,
        )
    journal_record(
        action=JournalAction.CONVENTION_TRANSMITTED,
        groupement=version.groupement_id,
        actor=actor,
        target=version,
        facts={
            "groupement": version.groupement_id,
            "transmitted_on": transmitted_on.isoformat() if transmitted_on else None,
            "ars_decision": ars_decision,
            "published_on": published_on.isoformat() if published_on else None,
        },
    )
    return version


# --- Meetings ------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    groupement: Groupement,
    scheduled_at: datetime.datetime,
    place: str = "",
    video_link: str = "",
    urgent: bool = False,
    requested_by: str = Requester.ADMINISTRATOR,
    requesting_members: Iterable[Membership] = (),
    actor: AbstractBaseUser | None = None,
) -> Meeting:
    """Prepare an assemblée générale (a first call). A meeting asked for by at least one third of the
    members is due by right (R. 312-194-20 CASF): the page says so; the requesting members are recorded."""
    _require(actor, lambda c: perms.can_manage_meetings(c, groupement), "Vous ne pouvez pas préparer d'assemblée.")
    requesting = list(requesting_members)
    if requested_by == Requester.MEMBERS and not requesting:
        raise BusinessRuleError("Membres demandeurs : indiquez les membres qui ont demandé la réunion.")
    if any(m.groupement_id != groupement.pk for m in requesting):
        raise BusinessRuleError("Membres demandeurs : un des membres indiqués n'est pas membre de ce groupement.")
    meeting = Meeting(
        groupement=groupement,
        scheduled_at=scheduled_at,
        place=place.strip(),
        video_link=video_link.strip(),
        urgent=urgent,
        requested_by=requested_by,
    )
    _full_clean(meeting)
    meeting.save()
    meeting.requesting_members.set(requesting)
    journal_record(
        action=JournalAction.MEETING_CREATED,
        groupement=groupement,
        actor=actor,
        target=meeting,
        facts={"groupement": groupement.pk, "scheduled_at": scheduled_at.isoformat(), "urgent": urgent},
    )
    return meeting


def meeting_due_by_right(meeting: Meeting) -> bool:
    """Whether at least one third of the members on the meeting's date asked for it (R. 312-194-20 CASF)."""
    if meeting.requested_by != Requester.MEMBERS:
        return False
    day = _local_date(meeting.scheduled_at)
    members = Membership.objects.filter(groupement_id=meeting.groupement_id).members().active_on(day).count()
    return rules.due_by_right(requesting=meeting.requesting_members.count(), members=members)


@transaction.atomic
def deliberation_add(
    *,
    meeting: Meeting,
    kind: str,
    title: str,
    description: str = "",
    concerned_membership: Membership | None = None,
    candidate_entity: LegalEntity | None = None,
    candidate_category: str = "",
    candidate_voting_rights: Decimal | None = None,
    candidate_contribution_share: Decimal | None = None,
    effective_on: datetime.date | None = None,
    hearing_on: datetime.date | None = None,
    notified_on: datetime.date | None = None,
    director_candidate: str = "",
    actor: AbstractBaseUser | None = None,
) -> Deliberation:
    """Add an item to the agenda of a meeting being prepared, with what its effect will need.

    The agenda is fixed by the convocation (R. 312-194-20 CASF): items are added before convening.
    """
    meeting = _lock_meeting(meeting)
    _require(
        actor,
        lambda c: perms.can_manage_meetings(c, meeting.groupement),
        "Vous ne pouvez pas modifier l'ordre du jour.",
    )
    _check_not_closed(meeting)
    if meeting.status != MeetingStatus.DRAFT:
        raise BusinessRuleError(
            "L'ordre du jour est fixé par la convocation (art. R. 312-194-20 CASF) : on ne l'étend pas après l'envoi."
        )
    kind = DeliberationKind(kind)
    groupement = meeting.groupement
    if concerned_membership is not None and concerned_membership.groupement_id != groupement.pk:
        raise BusinessRuleError("Membre concerné : ce membre n'appartient pas à ce groupement.")
    if kind == DeliberationKind.ADMISSION:
        missing = [
            label
            for label, value in (
                ("entité candidate", candidate_entity),
                ("catégorie d'adhésion", candidate_category),
                ("droits sociaux", candidate_voting_rights),
                ("part des charges (%)", candidate_contribution_share),
                ("prend effet le", effective_on),
            )
            if value in (None, "")
        ]
        if missing:
            raise BusinessRuleError(f"Une admission précise : {', '.join(missing)} (art. R. 312-194-10 CASF).")
    if kind == DeliberationKind.EXCLUSION and (concerned_membership is None or hearing_on is None):
        raise BusinessRuleError(
            "Une exclusion précise le membre concerné et la date à laquelle son représentant a été ou sera entendu "
            "(art. R. 312-194-10 CASF)."
        )
    if kind == DeliberationKind.WITHDRAWAL_TERMS and concerned_membership is None:
        raise BusinessRuleError("Conditions d'un retrait : indiquez le membre qui se retire.")
    if kind == DeliberationKind.DIRECTOR_PROPOSAL:
        if groupement.kind != GroupementKind.GTSMS:
            raise BusinessRuleError(
                "La proposition de nomination d'un directeur concerne un GTSMS ; un GCSMS élit son administrateur "
                "(art. R. 312-194-23 CASF)."
            )
        if not director_candidate.strip():
            raise BusinessRuleError("Candidat proposé : indiquez le nom de la personne proposée au DG ARS.")
    if kind == DeliberationKind.ADMINISTRATOR_ELECTION:
        if groupement.kind != GroupementKind.GCSMS:
            raise BusinessRuleError(
                "Un GTSMS est dirigé par un directeur nommé par le DG ARS : choisissez « Proposition de nomination du "
                "directeur »."
            )
        if not director_candidate.strip() or concerned_membership is None:
            raise BusinessRuleError(
                "L'administrateur est élu parmi les représentants des membres (art. R. 312-194-23 CASF) : "
                "indiquez son "
                "nom et le membre qu'il représente."
            )
    order = (meeting.deliberations.aggregate(m=models.Max("order"))["m"] or 0) + 1
    deliberation = Deliberation(
        meeting=meeting,
        order=order,
        kind=kind,
        title=(title or "").strip(),
        description=description.strip(),
        concerned_membership=concerned_membership,
        candidate_entity=candidate_entity,
        candidate_category=candidate_category or "",
        candidate_voting_rights=candidate_voting_rights,
        candidate_contribution_share=candidate_contribution_share,
        effective_on=effective_on,
        hearing_on=hearing_on,
        notified_on=notified_on,
        director_candidate=director_candidate.strip(),
    )
    _full_clean(deliberation)
    deliberation.save()
    return deliberation


@transaction.atomic
def meeting_convene(
    *, meeting: Meeting, sent_at: datetime.datetime | None = None, actor: AbstractBaseUser | None = None
) -> Meeting:
    """Convene the meeting: refused if sent less than the delay before it (15 days, 48 h if urgent, unless
    the convention in force on the meeting's date sets others, R. 312-194-20 CASF).

    Lists the members on the meeting's date with their droits sociaux in force that day (R. 312-194-12),
    asks for the ``convocation`` document and e-mails each member's representative (from the worker).
    ``sent_at`` is when the convocation was sent (now by default; a convocation sent by post earlier may be
    recorded, never in the future).
    """
    meeting = _lock_meeting(meeting)
    _require(
        actor, lambda c: perms.can_manage_meetings(c, meeting.groupement), "Vous ne pouvez pas convoquer l'assemblée."
    )
    _check_not_closed(meeting)
    if meeting.status != MeetingStatus.DRAFT:
        raise BusinessRuleError(f"{meeting} est déjà convoquée (le {format_date(_local_date(meeting.convened_at))}).")
    now = timezone.now()
    sent_at = sent_at or now
    if sent_at > now + datetime.timedelta(minutes=1):
        raise BusinessRuleError("Convocation envoyée le : la date d'envoi ne peut pas être dans le futur.")
    if not meeting.deliberations.exists():
        raise BusinessRuleError(
            "La convocation indique l'ordre du jour (art. R. 312-194-20 CASF) : ajoutez au moins un point."
        )
    day = _local_date(meeting.scheduled_at)
    settings = governance_settings_on(meeting.groupement_id, day)
    rules.check_convocation(
        sent_at=sent_at,
        meeting_at=meeting.scheduled_at,
        urgent=meeting.urgent,
        days=settings.convocation_days,
        urgent_hours=settings.urgent_convocation_hours,
        source=settings.source,
    )
    members = list(_members_on(meeting.groupement_id, day))
    if not members:
        raise BusinessRuleError(
            f"Le groupement n'a aucun membre le {format_date(day)} : il n'y a personne à convoquer."
        )
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, membership=m, voting_rights=m.voting_rights or 0) for m in members
    )
    meeting.status = MeetingStatus.CONVENED
    meeting.convened_at = sent_at
    meeting.member_count = len(members)
    meeting.save(update_fields=["status", "convened_at", "member_count", "updated_at"])
    journal_record(
        action=JournalAction.MEETING_CONVENED,
        groupement=meeting.groupement_id,
        actor=actor,
        target=meeting,
        facts={"groupement": meeting.groupement_id, "sent_at": sent_at.isoformat(), "members": len(members)},
    )
    document_request(kind="convocation", groupement=meeting.groupement, subject=meeting, actor=None)
    notify.convocation_notify(meeting, actor)
    return meeting


def _check_holding(meeting: Meeting, actor) -> None:
    _check_not_closed(meeting)
    if meeting.status != MeetingStatus.CONVENED:
        raise BusinessRuleError(f"{meeting} n'est pas encore convoquée.")
    if meeting.scheduled_at > timezone.now():
        raise BusinessRuleError(
            f"La séance n'a pas commencé (le {rules.format_datetime(meeting.scheduled_at)}) : "
            "présences et votes s'enregistrent pendant la séance."
        )


@dataclass(frozen=True)
class AttendanceInput:
    membership_id: int
    status: str
    holder_id: int | None = None
    representative_name: str = ""


@transaction.atomic
def attendance_record(
    *, meeting: Meeting, rows: Iterable[AttendanceInput], actor: AbstractBaseUser | None = None
) -> list[Attendance]:
    """Record who is present, represented (by which member) or absent, with the representative's name.

    Proxies (R. 312-194-20 CASF): only with more than two members; a member holds at most one proxy
    whatever the convention says; a represented member is not present; nobody represents itself.
    """
    meeting = _lock_meeting(meeting)
    _require(
        actor, lambda c: perms.can_manage_meetings(c, meeting.groupement), "Vous ne pouvez pas tenir cette séance."
    )
    _check_holding(meeting, actor)
    attendances = {a.membership_id: a for a in meeting.attendances.select_related("membership__legal_entity")}
    rows = list(rows)
    unknown = [r.membership_id for r in rows if r.membership_id not in attendances]
    if unknown:
        raise BusinessRuleError("Présences : un des membres indiqués n'est pas convoqué à cette séance.")
    given = {r.membership_id: r for r in rows}
    presences = [
        rules.Presence(
            member=mid,
            status=given[mid].status if mid in given else a.status,
            holder=(given[mid].holder_id if mid in given else a.proxy_holder_id) or None,
        )
        for mid, a in attendances.items()
    ]
    names = {mid: a.membership.legal_entity.name for mid, a in attendances.items()}
    rules.check_attendance(presences, names=names, member_count=meeting.member_count)
    # Clear the proxies first, so that moving a proxy between two holders never trips the one-proxy constraint.
    meeting.attendances.update(proxy_holder=None, status=AttendanceStatus.ABSENT)
    for presence in presences:
        attendance = attendances[presence.member]
        attendance.status = presence.status
        attendance.proxy_holder_id = presence.holder
        if presence.member in given:
            attendance.representative_name = given[presence.member].representative_name.strip()[:200]
            attendance.proxy_given_by_member = False
        attendance.save(
            update_fields=["status", "proxy_holder", "representative_name", "proxy_given_by_member", "updated_at"]
        )
    journal_record(
        action=JournalAction.MEETING_ATTENDANCE_RECORDED,
        groupement=meeting.groupement_id,
        actor=actor,
        target=meeting,
        facts={
            "groupement": meeting.groupement_id,
            "present": sum(p.status == AttendanceStatus.PRESENT for p in presences),
            "represented": sum(p.status == AttendanceStatus.REPRESENTED for p in presences),
        },
    )
    return list(attendances.values())


@transaction.atomic
def proxy_give(
    *, meeting: Meeting, membership: Membership, holder: Membership | None, actor: AbstractBaseUser | None = None
) -> Attendance:
    """A member gives its proxy to another member before the meeting (``holder=None`` withdraws it).

    R. 312-194-20 CASF: only with more than two members; a member holds at most one proxy; nobody
    represents itself. Allowed to the member's director from the portal, before the meeting starts.
    """
    meeting = _lock_meeting(meeting)
    if actor is not None:
        require(
            perms.can_give_proxy(checker_for(actor), meeting, membership),
            "Seul le directeur d'un établissement du membre donne sa procuration, avant la séance.",
        )
    _check_not_closed(meeting)
    if meeting.status != MeetingStatus.CONVENED or meeting.scheduled_at <= timezone.now():
        raise BusinessRuleError("Une procuration se donne après la convocation et avant le début de la séance.")
    attendance = meeting.attendances.select_related("membership__legal_entity").get(membership=membership)
    if holder is None:
        attendance.status = AttendanceStatus.ABSENT
        attendance.proxy_holder = None
    else:
        others = {a.membership_id: a for a in meeting.attendances.select_related("membership__legal_entity")}
        if holder.pk not in others:
            raise BusinessRuleError("Représenté par : ce membre n'est pas convoqué à cette séance.")
        if meeting.member_count < rules.PROXY_MINIMUM_MEMBERS:
            raise BusinessRuleError(
                "Le vote par procuration n'est possible que si le groupement compte plus de deux membres "
                f"(art. {rules.ART_PROXY} CASF)."
            )
        if holder.pk == membership.pk:
            raise BusinessRuleError("Représenté par : un membre ne peut pas se représenter lui-même.")
        already = [a for a in others.values() if a.proxy_holder_id == holder.pk and a.membership_id != membership.pk]
        if already:
            raise BusinessRuleError(
                f"Représenté par : « {holder.legal_entity.name} » détient déjà la procuration de "
                f"« {already[0].membership.legal_entity.name} » ; un membre ne peut détenir qu'une procuration "
                f"(art. {rules.ART_PROXY} CASF)."
            )
        if others[holder.pk].status == AttendanceStatus.REPRESENTED:
            raise BusinessRuleError(
                f"Représenté par : « {holder.legal_entity.name} » a lui-même donné sa procuration ; "
                "il ne peut pas en porter."
            )
        attendance.status = AttendanceStatus.REPRESENTED
        attendance.proxy_holder = holder
    attendance.proxy_given_by_member = holder is not None
    attendance.save(update_fields=["status", "proxy_holder", "proxy_given_by_member", "updated_at"])
    journal_record(
        action=JournalAction.PROXY_GIVEN,
        groupement=meeting.groupement_id,
        actor=actor,
        target=attendance,
        facts={
            "groupement": meeting.groupement_id,
            "meeting": meeting.pk,
            "membership": membership.pk,
            "holder": holder.pk if holder else None,
        },
    )
    return attendance


def meeting_quorum(meeting: Meeting) -> rules.Quorum:
    """The quorum of a meeting from its attendance and the rights on its date (R. 312-194-22 CASF)."""
    attendances = list(meeting.attendances.all())
    rights = {a.membership_id: a.voting_rights for a in attendances}
    attending = [a.membership_id for a in attendances if a.status != AttendanceStatus.ABSENT]
    return rules.quorum(rights=rights, attending=attending, second_call=meeting.is_second_call)


@transaction.atomic
def votes_record(
    *, deliberation: Deliberation, choices: dict[int, str], actor: AbstractBaseUser | None = None
) -> rules.Result:
    """Record each member's vote on one deliberation (members present or represented only), weighted by its
    droits sociaux on the meeting's date, then compute the outcome. The member an exclusion is about does
    not vote (R. 312-194-22 CASF). Refused when the quorum is not reached."""
    meeting = _lock_meeting(deliberation.meeting)
    _require(
        actor, lambda c: perms.can_manage_meetings(c, meeting.groupement), "Vous ne pouvez pas tenir cette séance."
    )
    _check_holding(meeting, actor)
    quorum = meeting_quorum(meeting)
    if not quorum.reached:
        raise BusinessRuleError(
            f"L'assemblée ne peut pas délibérer : {quorum.label}. Proposez une seconde convocation."
        )
    attending = {
        a.membership_id: a
        for a in meeting.attendances.select_related("membership__legal_entity")
        if a.status != AttendanceStatus.ABSENT
    }
    for member_id, choice in choices.items():
        if member_id not in attending:
            raise BusinessRuleError("Votes : seuls les membres présents ou représentés votent.")
        VoteChoice(choice)
    missing = [a.membership.legal_entity.name for mid, a in attending.items() if mid not in choices]
    if missing:
        raise BusinessRuleError(
            f"Votes : indiquez le vote de chaque membre présent ou représenté ({', '.join(missing)})."
        )
    concerned = deliberation.concerned_membership_id if deliberation.kind == DeliberationKind.EXCLUSION else None
    if concerned is not None and choices.get(concerned, VoteChoice.NOT_VOTING) != VoteChoice.NOT_VOTING:
        raise BusinessRuleError(
            "Votes : le membre dont l'exclusion est proposée ne prend pas part au vote (art. R. 312-194-22 CASF)."
        )
    deliberation.votes.all().delete()
    Vote.objects.bulk_create(
        Vote(deliberation=deliberation, membership_id=mid, choice=choice, voting_rights=attending[mid].voting_rights)
        for mid, choice in choices.items()
    )
    return deliberation_outcome_compute(deliberation=deliberation)


def deliberation_outcome_compute(*, deliberation: Deliberation) -> rules.Result:
    """THE computation of an outcome: the recorded votes, the rights on the meeting's date, the rule of the
    deliberation's kind (R. 312-194-22 CASF) and the ordinary majority of the convention in force that day.
    Stores the counts, the rights counted and the rule that applied."""
    meeting = deliberation.meeting
    day = _local_date(meeting.scheduled_at)
    settings = governance_settings_on(meeting.groupement_id, day)
    all_rights = dict(meeting.attendances.values_list("membership_id", "voting_rights"))
    ballots = [
        rules.Ballot(member=v.membership_id, rights=v.voting_rights, choice=v.choice) for v in deliberation.votes.all()
    ]
    concerned = deliberation.concerned_membership_id if deliberation.kind == DeliberationKind.EXCLUSION else None
    result = rules.outcome(
        kind=deliberation.kind,
        ballots=ballots,
        all_rights=all_rights,
        ordinary=settings.ordinary_majority,
        concerned=concerned,
    )
    deliberation.outcome = Outcome.ADOPTED if result.adopted else Outcome.REJECTED
    deliberation.rule = result.rule
    deliberation.article = result.article
    deliberation.votes_for = result.votes_for
    deliberation.votes_against = result.votes_against
    deliberation.votes_abstain = result.votes_abstain
    deliberation.votes_not_voting = result.votes_not_voting
    deliberation.votes_base = result.base
    deliberation.outcome_label = result.label(deliberation.get_kind_display())[:300]
    deliberation.save()
    return result


def _act(deliberation: Deliberation) -> str:
    return (
        f"Délibération n° {deliberation.order} de l'assemblée générale du "
        f"{format_date(_local_date(deliberation.meeting.scheduled_at))}"
    )


def _apply_effects(deliberation: Deliberation, actor) -> None:
    """Effects of an adopted deliberation, through the members services (their rules stay theirs)."""
    meeting = deliberation.meeting
    day = _local_date(meeting.scheduled_at)
    act = _act(deliberation)
    kind = deliberation.kind
    if kind == DeliberationKind.ADMISSION:
        membership_admit(
            groupement=meeting.groupement,
            legal_entity=deliberation.candidate_entity,
            category=MembershipCategory(deliberation.candidate_category),
            admitted_on=deliberation.effective_on,
            act=act,
            voting_rights=deliberation.candidate_voting_rights,
            contribution_share=deliberation.candidate_contribution_share,
            actor=actor,
        )
    elif kind == DeliberationKind.EXCLUSION:
        membership_exclude(
            membership=deliberation.concerned_membership,
            hearing_on=deliberation.hearing_on,
            decided_on=day,
            left_on=deliberation.effective_on or day,
            act=act,
            actor=actor,
        )
    elif kind == DeliberationKind.WITHDRAWAL_TERMS and deliberation.notified_on and deliberation.effective_on:
        membership_withdraw(
            membership=deliberation.concerned_membership,
            notified_on=deliberation.notified_on,
            left_on=deliberation.effective_on,
            act=act,
            actor=actor,
        )
    elif kind == DeliberationKind.CONVENTION_CHANGE:
        convention_version_record(
            groupement=meeting.groupement,
            signed_on=day,
            effective_on=deliberation.effective_on or day + datetime.timedelta(days=1),
            adoption_act=act,
            changes=deliberation.description or deliberation.title,
            adopted_by=deliberation,
            actor=None,
        )
    elif kind == DeliberationKind.DIRECTOR_PROPOSAL:
        DirectorNomination.objects.create(
            groupement=meeting.groupement, proposal=deliberation, candidate_name=deliberation.director_candidate
        )
    elif kind == DeliberationKind.ADMINISTRATOR_ELECTION:
        mandate = AdministratorMandate.objects.create(
            groupement=meeting.groupement,
            election=deliberation,
            person_name=deliberation.director_candidate,
            representing=deliberation.concerned_membership,
            start=deliberation.effective_on or day,
            end=rules.administrator_mandate_end(deliberation.effective_on or day),
        )
        journal_record(
            action=JournalAction.ADMINISTRATOR_ELECTED,
            groupement=meeting.groupement_id,
            actor=actor,
            target=mandate,
            facts={
                "groupement": meeting.groupement_id,
                "start": mandate.start.isoformat(),
                "end": mandate.end.isoformat(),
            },
        )
    deliberation.effects_applied_at = timezone.now()
    deliberation.save(update_fields=["effects_applied_at", "updated_at"])


AVENANT_KINDS = (DeliberationKind.ADMISSION, DeliberationKind.EXCLUSION, DeliberationKind.WITHDRAWAL_TERMS)


@transaction.atomic
def meeting_close(*, meeting: Meeting, actor: AbstractBaseUser | None = None) -> Meeting:
    """Close the meeting: quorum checked (R. 312-194-22 CASF); without it nothing is decided and the page
    offers the second call. Otherwise each deliberation's outcome is computed from its votes, journaled,
    and the effects of adopted ones applied. Then the meeting is frozen and the minutes drafted."""
    meeting = _lock_meeting(meeting)
    _require(
        actor, lambda c: perms.can_manage_meetings(c, meeting.groupement), "Vous ne pouvez pas tenir cette séance."
    )
    _check_holding(meeting, actor)
    quorum = meeting_quorum(meeting)
    deliberations = list(
        meeting.deliberations.select_related(
            "meeting__groupement", "concerned_membership__legal_entity", "candidate_entity"
        )
    )
    if quorum.reached:
        unvoted = [d for d in deliberations if not d.votes.exists()]
        if unvoted:
            raise BusinessRuleError(
                "Enregistrez les votes de chaque délibération avant de clore la séance : "
                + ", ".join(f"« {d.title} »" for d in unvoted)
                + "."
            )
    for deliberation in deliberations:
        if not quorum.reached:
            deliberation.outcome = Outcome.NOT_DECIDED
            deliberation.outcome_label = f"non délibérée : {quorum.label}"[:300]
            deliberation.save(update_fields=["outcome", "outcome_label", "updated_at"])
            continue
        result = deliberation_outcome_compute(deliberation=deliberation)
        journal_record(
            action=JournalAction.DELIBERATION_ADOPTED if result.adopted else JournalAction.DELIBERATION_REJECTED,
            groupement=meeting.groupement_id,
            actor=actor,
            target=deliberation,
            facts={
                "groupement": meeting.groupement_id,
                "kind": deliberation.kind,
                "rule": result.rule,
                "for": str(result.votes_for),
                "base": str(result.base),
                "label": deliberation.outcome_label,
            },
        )
        if result.adopted:
            _apply_effects(deliberation, actor)
    meeting.quorum_total = quorum.total
    meeting.quorum_present = quorum.present
    meeting.quorum_reached = quorum.reached
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = timezone.now()
    meeting.save(
        update_fields=["quorum_total", "quorum_present", "quorum_reached", "status", "closed_at", "updated_at"]
    )
    journal_record(
        action=JournalAction.MEETING_CLOSED,
        groupement=meeting.groupement_id,
        actor=actor,
        target=meeting,
        facts={
            "groupement": meeting.groupement_id,
            "quorum_reached": quorum.reached,
            "present": str(quorum.present),
            "total": str(quorum.total),
        },
    )
    document_request(kind="minutes", groupement=meeting.groupement, subject=meeting, actor=None)
    return meeting


@transaction.atomic
def meeting_second_call(
    *,
    first: Meeting,
    scheduled_at: datetime.datetime,
    place: str = "",
    video_link: str = "",
    actor: AbstractBaseUser | None = None,
) -> Meeting:
    """Prepare the second call of a meeting that failed its quorum: within 15 days (8 if urgent), same agenda;
    it decides whatever the attendance (R. 312-194-22 CASF)."""
    first = _lock_meeting(first)
    _require(
        actor, lambda c: perms.can_manage_meetings(c, first.groupement), "Vous ne pouvez pas préparer d'assemblée."
    )
    if first.is_second_call:
        raise BusinessRuleError(
            "Cette séance est déjà une seconde convocation : elle décidait quel que soit le quorum."
        )
    if Meeting.objects.filter(first_call=first).exists():
        raise BusinessRuleError("Une seconde convocation existe déjà pour cette séance.")
    rules.check_second_call(
        first_on=_local_date(first.scheduled_at),
        second_on=_local_date(scheduled_at),
        urgent=first.urgent,
        first_quorum_reached=first.quorum_reached if first.status == MeetingStatus.CLOSED else None,
    )
    second = Meeting(
        groupement=first.groupement,
        scheduled_at=scheduled_at,
        place=(place or first.place).strip(),
        video_link=(video_link or first.video_link).strip(),
        urgent=first.urgent,
        first_call=first,
        requested_by=first.requested_by,
    )
    _full_clean(second)
    second.save()
    for item in first.deliberations.all():
        Deliberation.objects.create(
            meeting=second,
            order=item.order,
            kind=item.kind,
            title=item.title,
            description=item.description,
            concerned_membership_id=item.concerned_membership_id,
            candidate_entity_id=item.candidate_entity_id,
            candidate_category=item.candidate_category,
            candidate_voting_rights=item.candidate_voting_rights,
            candidate_contribution_share=item.candidate_contribution_share,
            effective_on=item.effective_on,
            hearing_on=item.hearing_on,
            notified_on=item.notified_on,
            director_candidate=item.director_candidate,
        )
    journal_record(
        action=JournalAction.MEETING_CREATED,
        groupement=first.groupement_id,
        actor=actor,
        target=second,
        facts={"groupement": first.groupement_id, "first_call": first.pk, "scheduled_at": scheduled_at.isoformat()},
    )
    return second


# --- Director (GTSMS) -----------------------------------------------------------------------------------


def _nomination_journal(nomination: DirectorNomination, actor, step: str, **facts) -> None:
    journal_record(
        action=JournalAction.DIRECTOR_STEP_RECORDED,
        groupement=nomination.groupement_id,
        actor=actor,
        target=nomination,
        facts={"groupement": nomination.groupement_id, "step": step, **facts},
    )


def _lock_nomination(nomination: DirectorNomination) -> DirectorNomination:
    DirectorNomination.objects.select_for_update(of=("self",)).filter(pk=nomination.pk).values_list("pk").get()
    nomination.refresh_from_db()
    return nomination


def _director_actor(actor, nomination) -> None:
    _require(
        actor, lambda c: perms.can_manage_director(c, nomination.groupement), "Vous ne pouvez pas tenir ce dossier."
    )


@transaction.atomic
def director_opinion_record(
    *,
    nomination: DirectorNomination,
    departement: Departement,
    opinion: str,
    given_on: datetime.date,
    reference: str = "",
    actor: AbstractBaseUser | None = None,
) -> PcdOpinion:
    """Step 2: the opinion of the président du conseil départemental of a département of the groupement,
    after the AG proposal and before the DG ARS decision (decree.md 3.2.3)."""
    nomination = _lock_nomination(nomination)
    _director_actor(actor, nomination)
    if nomination.interim:
        raise BusinessRuleError("Un intérim est enregistré avec la seule décision du DG ARS.")
    if nomination.decision:
        raise BusinessRuleError("Le DG ARS a déjà décidé : les avis se recueillent avant sa décision.")
    if not nomination.groupement.departements.filter(pk=departement.pk).exists():
        raise BusinessRuleError(f"Département : {departement} n'est pas un département du groupement.")
    proposed_on = _local_date(nomination.proposal.meeting.scheduled_at)
    if given_on < proposed_on:
        raise BusinessRuleError(
            f"Rendu le : l'avis ({format_date(given_on)}) ne peut pas précéder la proposition de l'assemblée "
            f"({format_date(proposed_on)})."
        )
    Opinion(opinion)
    item = PcdOpinion(
        nomination=nomination, departement=departement, opinion=opinion, given_on=given_on, reference=reference.strip()
    )
    _full_clean(item)
    item.save()
    _nomination_journal(nomination, actor, "pcd_opinion", departement=departement.pk, opinion=opinion)
    return item


@transaction.atomic
def director_decision_record(
    *,
    nomination: DirectorNomination,
    decision: str,
    decision_on: datetime.date,
    reference: str,
    actor: AbstractBaseUser | None = None,
) -> DirectorNomination:
    """Step 3: the DG ARS decision, once every département concerned has given its PCD's opinion
    (decree.md 3.2.3). An interim file has only this step."""
    nomination = _lock_nomination(nomination)
    _director_actor(actor, nomination)
    if nomination.decision:
        raise BusinessRuleError("La décision du DG ARS est déjà enregistrée.")
    NominationDecision(decision)
    if not reference.strip():
        raise BusinessRuleError("Référence de l'arrêté : indiquez la référence de la décision du DG ARS.")
    if not nomination.interim:
        expected = set(nomination.groupement.departements.values_list("pk", flat=True))
        given = {o.departement_id: o for o in nomination.opinions.all()}
        missing = sorted(expected - set(given))
        if missing:
            raise BusinessRuleError(
                "Le DG ARS décide après l'avis du président du conseil départemental de chaque département concerné : "
                f"manque l'avis pour {', '.join(missing)}."
            )
        latest = max(o.given_on for o in given.values())
        if decision_on < latest:
            raise BusinessRuleError(
                f"Décision le : la décision ({format_date(decision_on)}) ne peut pas précéder le dernier avis "
                f"({format_date(latest)})."
            )
    nomination.decision = decision
    nomination.decision_on = decision_on
    nomination.decision_reference = reference.strip()
    _full_clean(nomination)
    nomination.save()
    _nomination_journal(nomination, actor, "ars_decision", decision=decision, decision_on=decision_on.isoformat())
    return nomination


@transaction.atomic
def director_qualification_record(
    *, nomination: DirectorNomination, corps: str, since: datetime.date, actor: AbstractBaseUser | None = None
) -> DirectorNomination:
    """The director of a GTSMS is a D3S (directeur d'établissement sanitaire, social et médico-social,
    decree.md 3.2.2)."""
    nomination = _lock_nomination(nomination)
    _director_actor(actor, nomination)
    if not corps.strip():
        raise BusinessRuleError("Corps (D3S) : indiquez le corps du candidat.")
    nomination.d3s_corps = corps.strip()
    nomination.d3s_since = since
    _full_clean(nomination)
    nomination.save()
    _nomination_journal(nomination, actor, "d3s", corps=nomination.d3s_corps)
    return nomination


@transaction.atomic
def director_interim_open(
    *, groupement: Groupement, candidate_name: str, actor: AbstractBaseUser | None = None
) -> DirectorNomination:
    """Open an interim file (no AG proposal). Assumption: the texts read say nothing of interim (decree.md 3.2.8)."""
    _require(actor, lambda c: perms.can_manage_director(c, groupement), "Vous ne pouvez pas tenir ce dossier.")
    if groupement.kind != GroupementKind.GTSMS:
        raise BusinessRuleError("Un GCSMS n'a pas de directeur nommé par le DG ARS, mais un administrateur.")
    nomination = DirectorNomination(groupement=groupement, interim=True, candidate_name=(candidate_name or "").strip())
    _full_clean(nomination)
    nomination.save()
    _nomination_journal(nomination, actor, "interim_opened")
    return nomination


@transaction.atomic
def director_mandate_start(
    *,
    nomination: DirectorNomination,
    start: datetime.date,
    end: datetime.date | None = None,
    actor: AbstractBaseUser | None = None,
) -> DirectorNomination:
    """Step 4: the mandate, after a DG ARS nomination, for a D3S; one current director at a time."""
    nomination = _lock_nomination(nomination)
    _director_actor(actor, nomination)
    if nomination.decision != NominationDecision.NOMINATED:
        raise BusinessRuleError(
            "Le mandat commence après la nomination par le DG ARS : la décision manque ou est un refus."
        )
    if not nomination.d3s_corps:
        raise BusinessRuleError(
            "Le directeur d'un GTSMS est un D3S : enregistrez d'abord sa qualification (corps, date)."
        )
    if start < nomination.decision_on:
        raise BusinessRuleError("Début du mandat : le mandat ne commence pas avant la décision du DG ARS.")
    current = (
        DirectorNomination.objects.filter(
            groupement=nomination.groupement, mandate_start__isnull=False, mandate_end__isnull=True
        )
        .exclude(pk=nomination.pk)
        .first()
    )
    if current is not None:
        raise BusinessRuleError(
            f"« {current.candidate_name} » dirige le groupement depuis le {format_date(current.mandate_start)} : "
            "un seul directeur à la fois ; terminez d'abord son mandat."
        )
    nomination.mandate_start = start
    nomination.mandate_end = end
    _full_clean(nomination)
    try:
        with transaction.atomic():
            nomination.save()
    except IntegrityError as error:
        raise BusinessRuleError(
            "Le groupement a déjà un directeur en fonctions : terminez d'abord son mandat."
        ) from error
    _nomination_journal(nomination, actor, "mandate_start", start=start.isoformat())
    return nomination


@transaction.atomic
def director_mandate_end(
    *, nomination: DirectorNomination, end: datetime.date, actor: AbstractBaseUser | None = None
) -> DirectorNomination:
    """End a current mandate on ``end`` (the first day out of office)."""
    nomination = _lock_nomination(nomination)
    _director_actor(actor, nomination)
    if nomination.mandate_start is None or nomination.mandate_end is not None:
        raise BusinessRuleError("Ce mandat n'est pas en cours.")
    if end <= nomination.mandate_start:
        raise BusinessRuleError("Fin du mandat : la fin doit suivre le début du mandat.")
    nomination.mandate_end = end
    nomination.save(update_fields=["mandate_end", "updated_at"])
    _nomination_journal(nomination, actor, "mandate_end", end=end.isoformat())
    return nomination
