"""Writes of the members room: the membership lifecycle (admission, withdrawal, exclusion, terms).

Date convention: a membership period is the half-open range ``[admitted_on, left_on)``.
``admitted_on`` is the first day as a member; ``left_on`` is the **first day no longer a member**
(a withdrawal at the end of 2026 has ``left_on = 1 January 2027``). This is the convention of the
database range constraints on ``Membership``.

History is never overwritten: leaving fills ``left_on``, ``leave_reason`` and ``leave_act`` on the
period row; a change of voting rights or contribution share adds a dated ``MembershipTerms`` row.
Every change is journaled under its groupement (``JournalEntry.groupement``, which the dashboard
reads). The groupements themselves and the dérogations are written here too, from the Django admin
and the demo loader: ``groupement_create``, ``groupement_update``, ``derogation_record``.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from core.enums import JournalAction
from core.exceptions import BusinessRuleError
from core.formatting import format_date
from core.journal import journal_record
from core.perms import checker_for, is_platform_admin, require
from members import perms
from members.eligibility import may_be_member
from members.enums import GroupementKind, GroupementStatus, LeaveReason, MembershipCategory
from members.models import Derogation, GhtMembership, Groupement, LegalEntity, Membership, MembershipTerms, Region
from members.selectors import journal_groupement_of


ONE_GTSMS_CONSTRAINT = "membership_one_gtsms_at_a_time"
SAME_GROUPEMENT_CONSTRAINT = "membership_no_overlap_in_groupement"
EXCLUSION_MINIMUM_MEMBERS = 3


# --- Rules (each written once, with its article) -------------------------------------------------


def withdrawal_earliest_left_on(notified_on: datetime.date) -> datetime.date:
    """The earliest ``left_on`` of a withdrawal notified on ``notified_on`` (R. 312-194-10 CASF).

    A member withdraws only at the end of a financial year (the calendar year: it ends on
    31 December, so ``left_on`` is a 1 January), after notifying the groupement at least six months
    before that end, i.e. on 30 June at the latest.
    """
    year = notified_on.year if notified_on <= datetime.date(notified_on.year, 6, 30) else notified_on.year + 1
    return datetime.date(year + 1, 1, 1)


def _check_withdrawal_dates(*, notified_on: datetime.date, left_on: datetime.date) -> None:
    """Withdrawal at the end of a financial year, notified six months ahead (R. 312-194-10 CASF)."""
    if (left_on.month, left_on.day) != (1, 1):
        raise BusinessRuleError(
            "Un retrait ne prend effet qu'à la fin d'un exercice (31 décembre) : la date de sortie, premier "
            f"jour où l'entité n'est plus membre, doit être un 1er janvier, et non le {format_date(left_on)} "
            "(art. R. 312-194-10 CASF)."
        )
    earliest = withdrawal_earliest_left_on(notified_on)
    if left_on < earliest:
        year_end = datetime.date(left_on.year - 1, 12, 31)
        raise BusinessRuleError(
            "Un retrait doit être notifié au groupement au moins six mois avant la fin de l'exercice : pour une "
            f"sortie au {format_date(year_end)}, il fallait le notifier au plus tard le "
            f"{format_date(datetime.date(year_end.year, 6, 30))}. Notifié le {format_date(notified_on)}, il "
            f"prend effet au plus tôt le {format_date(earliest)} (art. R. 312-194-10 CASF)."
        )


def _check_may_join(*, groupement: Groupement, legal_entity: LegalEntity, category: str) -> None:
    """In a GTSMS, a private-law entity can only be a partner by convention (L. 312-7 and L. 312-7-2 I CASF).

    Members of a GTSMS are public-law entities; private establishments, non-profit ones included,
    take part through a partnership convention. A GCSMS may have private members (L. 312-7 3°).
    """
    if groupement.kind != GroupementKind.GTSMS or category == MembershipCategory.PARTNER:
        return
    if not may_be_member(legal_entity.statut_code):
        statut = legal_entity.statut_label or legal_entity.statut_code or "inconnu"
        raise BusinessRuleError(
            f"« {legal_entity.name} » (statut juridique : {statut}) n'est pas une personne morale de droit public : "
            "elle ne peut pas être membre d'un GTSMS, seulement partenaire par convention "
            "(art. L. 312-7 et L. 312-7-2 I CASF)."
        )


def _check_partner_rights(*, category: str, voting_rights: Decimal) -> None:
    """A partner by convention is not a member, so it has no vote at the assemblée générale.

    The AG is made of the members (R. 312-194-19 CASF); partners take part by convention (L. 312-7).
    """
    if category == MembershipCategory.PARTNER and voting_rights != 0:
        raise BusinessRuleError(
            "Un partenaire par convention n'est pas membre de l'assemblée générale : ses droits de vote doivent "
            "être de 0 (art. R. 312-194-19 CASF)."
        )


def _check_terms_values(*, voting_rights: Decimal, contribution_share: Decimal) -> None:
    """Voting rights are a non-negative number; the contribution share is a percentage of the running costs.

    Both are set by the convention constitutive (R. 312-194-7 6° and 8°, R. 312-194-12 CASF).
    """
    if voting_rights < 0:
        raise BusinessRuleError("Les droits de vote ne peuvent pas être négatifs.")
    if not 0 <= contribution_share <= 100:
        raise BusinessRuleError(
            f"La part des charges est un pourcentage, entre 0 et 100 : {contribution_share} n'est pas possible."
        )


def _overlapping(*, legal_entity: LegalEntity, start: datetime.date, end: datetime.date | None) -> models.QuerySet:
    """Memberships of ``legal_entity`` whose period overlaps ``[start, end)`` (``end`` None: open)."""
    qs = Membership.objects.filter(legal_entity=legal_entity).filter(Q(left_on__isnull=True) | Q(left_on__gt=start))
    if end is not None:
        qs = qs.filter(admitted_on__lt=end)
    return qs.select_related("groupement").order_by("admitted_on", "id")


def _check_one_gtsms_at_a_time(
    *,
    groupement: Groupement,
    legal_entity: LegalEntity,
    category: str,
    start: datetime.date,
    end: datetime.date | None,
) -> None:
    """A legal entity is a member of at most one GTSMS at a time (L. 312-7-2 I CASF).

    Partners by convention are not members, so the rule ignores them; the database holds the same
    rule (``membership_one_gtsms_at_a_time``), so that two concurrent admissions cannot both pass.
    Also refuses a second, overlapping period in the same groupement.
    """
    overlapping = _overlapping(legal_entity=legal_entity, start=start, end=end)
    same = overlapping.filter(groupement=groupement).first()
    if same is not None:
        raise BusinessRuleError(
            f"« {legal_entity.name} » est déjà rattachée à ce groupement sur cette période "
            f"(depuis le {format_date(same.admitted_on)}{_until(same)})."
        )
    if groupement.kind != GroupementKind.GTSMS or category == MembershipCategory.PARTNER:
        return
    other = overlapping.in_other_gtsms(groupement).first()
    if other is not None:
        raise BusinessRuleError(_one_gtsms_message(legal_entity=legal_entity, other=other))


def _until(membership: Membership) -> str:
    return f", jusqu'au {format_date(membership.left_on - datetime.timedelta(days=1))}" if membership.left_on else ""


def _one_gtsms_message(*, legal_entity: LegalEntity, other: Membership | None) -> str:
    where = (
        f"du GTSMS « {other.groupement.name} » (depuis le {format_date(other.admitted_on)}{_until(other)})"
        if other is not None
        else "d'un autre GTSMS sur cette période"
    )
    return (
        f"« {legal_entity.name} » est déjà membre {where} : une entité juridique ne peut être membre que d'un "
        "seul GTSMS à la fois (art. L. 312-7-2 I CASF). Enregistrez d'abord sa sortie de ce groupement."
    )


def _check_exclusion_allowed(*, membership: Membership, hearing_on: datetime.date, decided_on: datetime.date) -> None:
    """Exclusion only in a groupement of at least three members, after hearing the member (R. 312-194-10, -22 CASF).

    The member's representative is heard before the AG decides; the member concerned does not vote
    (the vote itself is recorded with the deliberation).
    """
    if membership.category == MembershipCategory.PARTNER:
        raise BusinessRuleError(
            "Un partenaire par convention n'est pas membre : il ne peut pas être exclu, son partenariat prend fin "
            "selon les termes de la convention de partenariat (art. L. 312-7 CASF). Enregistrez un retrait."
        )
    if hearing_on > decided_on:
        raise BusinessRuleError(
            "Le représentant du membre doit être entendu avant la décision d'exclusion : la date d'audition "
            f"({format_date(hearing_on)}) est postérieure à la décision ({format_date(decided_on)}) "
            "(art. R. 312-194-10 CASF)."
        )
    count = Membership.objects.filter(groupement_id=membership.groupement_id).members().active_on(decided_on).count()
    if count < EXCLUSION_MINIMUM_MEMBERS:
        raise BusinessRuleError(
            f"L'exclusion d'un membre n'est possible que si le groupement compte au moins {EXCLUSION_MINIMUM_MEMBERS} "
            f"membres ; il en compte {count} au {format_date(decided_on)} (art. R. 312-194-10 CASF)."
        )


# --- Small shared checks ---------------------------------------------------------------------------


def _check_act(act: str) -> None:
    if not (act or "").strip():
        raise BusinessRuleError(
            "Indiquez l'acte qui fonde cette décision (délibération de l'assemblée générale, convention "
            "constitutive ou avenant)."
        )


def _check_not_future(day: datetime.date, what: str) -> None:
    if day > timezone.localdate():
        raise BusinessRuleError(f"La date {what} ({format_date(day)}) ne peut pas être dans le futur.")


def _check_current(membership: Membership) -> None:
    if membership.left_on is not None:
        raise BusinessRuleError(
            f"« {membership.legal_entity.name} » a déjà quitté le groupement le {format_date(membership.left_on)} "
            f"({membership.get_leave_reason_display().lower()})."
        )


def _check_no_terms_from(membership: Membership, left_on: datetime.date) -> None:
    later = membership.terms.filter(valid_from__gte=left_on).order_by("valid_from").first()
    if later is not None:
        raise BusinessRuleError(
            f"Des conditions d'adhésion s'appliquent à partir du {format_date(later.valid_from)}, après la date de "
            f"sortie ({format_date(left_on)}) : la sortie doit être postérieure."
        )


def _check_left_after_admitted(membership: Membership, left_on: datetime.date) -> None:
    if left_on <= membership.admitted_on:
        raise BusinessRuleError(
            f"La date de sortie ({format_date(left_on)}) doit être postérieure à la date d'admission "
            f"({format_date(membership.admitted_on)})."
        )


def _full_clean(instance: models.Model) -> None:
    """``full_clean()``, with its errors turned into one French business error naming the fields."""
    try:
        instance.full_clean()
    except BusinessRuleError:
        raise
    except ValidationError as error:
        messages = []
        for field, field_messages in error.message_dict.items():
            label = "" if field == "__all__" else f"{instance._meta.get_field(field).verbose_name} : "
            messages.extend(f"{label}{message}" for message in field_messages)
        raise BusinessRuleError(messages) from error


def _require_manage_members(actor: AbstractBaseUser | None, groupement: Groupement) -> None:
    """The service decides (docs/permissions.md): the actor must pass ``perms.can_manage_members``;
    ``actor=None`` is the platform itself (commands, the demo loader), not checked."""
    if actor is not None:
        require(
            perms.can_manage_members(checker_for(actor), groupement),
            f"Vous n'avez pas le droit de gérer les membres du groupement « {groupement.name} ».",
        )


def _lock(membership: Membership) -> Membership:
    """Lock the membership row for this transaction and refresh ``membership`` from it."""
    Membership.objects.select_for_update(of=("self",)).filter(pk=membership.pk).values_list("pk").get()
    membership.refresh_from_db()
    return membership


def _facts(membership: Membership, **extra) -> dict:
    facts = {
        "groupement": membership.groupement_id,
        "legal_entity": membership.legal_entity_id,
        "finess": membership.legal_entity.finess,
        "category": membership.category,
    }
    for key, value in extra.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        facts[key] = value
    return facts


def _terms_create(
    *, membership: Membership, valid_from: datetime.date, voting_rights: Decimal, contribution_share: Decimal, act: str
) -> MembershipTerms:
    """A new dated state of a member's rights and share; earlier states are kept (history is never rewritten)."""
    terms = MembershipTerms(
        membership=membership,
        valid_from=valid_from,
        voting_rights=voting_rights,
        contribution_share=contribution_share,
        act=act.strip(),
    )
    _full_clean(terms)
    terms.save()
    return terms


def _record_leave(membership: Membership, *, left_on: datetime.date, reason: LeaveReason, act: str) -> None:
    """Close the membership period: its last state is kept, never overwritten by a later one."""
    _check_left_after_admitted(membership, left_on)
    _check_no_terms_from(membership, left_on)
    membership.left_on = left_on
    membership.leave_reason = reason
    membership.leave_act = act.strip()
    _full_clean(membership)
    membership.save(update_fields=["left_on", "leave_reason", "leave_act", "updated_at"])


# --- Services -------------------------------------------------------------------------------------


@transaction.atomic
def membership_admit(
    *,
    groupement: Groupement,
    legal_entity: LegalEntity,
    category: MembershipCategory,
    admitted_on: datetime.date,
    act: str,
    voting_rights: Decimal,
    contribution_share: Decimal,
    founding: bool = False,
    actor: AbstractBaseUser | None = None,
) -> Membership:
    """Admit ``legal_entity`` to ``groupement`` from ``admitted_on``, with its first terms.

    A founding member is admitted by the convention constitutive; any later member by a deliberation
    of the assemblée générale voted unanimously (R. 312-194-10, R. 312-194-21 6°, R. 312-194-22 CASF):
    ``act`` records that text. In a GTSMS a private-law entity can only be a partner (L. 312-7), and
    an entity is a member of one GTSMS at a time (L. 312-7-2 I).
    """
    _require_manage_members(actor, groupement)
    _check_act(act)
    if groupement.status == GroupementStatus.DISSOLVED or (
        groupement.dissolved_on is not None and admitted_on >= groupement.dissolved_on
    ):
        raise BusinessRuleError(f"Le groupement « {groupement.name} » est dissous : il n'admet plus de membre.")
    if legal_entity.closed and (legal_entity.closed_on is None or legal_entity.closed_on <= admitted_on):
        raise BusinessRuleError(f"L'entité juridique « {legal_entity.name} » est fermée dans FINESS.")
    category = MembershipCategory(category)
    _check_may_join(groupement=groupement, legal_entity=legal_entity, category=category)
    _check_terms_values(voting_rights=voting_rights, contribution_share=contribution_share)
    _check_partner_rights(category=category, voting_rights=voting_rights)
    _check_one_gtsms_at_a_time(
        groupement=groupement, legal_entity=legal_entity, category=category, start=admitted_on, end=None
    )
    membership = Membership(
        groupement=groupement,
        legal_entity=legal_entity,
        groupement_kind=groupement.kind,
        category=category,
        founding=founding,
        admitted_on=admitted_on,
        admission_act=act.strip(),
    )
    _full_clean(membership)
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as error:
        # A concurrent admission passed the check above at the same time; the database refused ours.
        if _constraint_name(error) == ONE_GTSMS_CONSTRAINT:
            other = (
                _overlapping(legal_entity=legal_entity, start=admitted_on, end=None).in_other_gtsms(groupement).first()
            )
            raise BusinessRuleError(_one_gtsms_message(legal_entity=legal_entity, other=other)) from error
        if _constraint_name(error) == SAME_GROUPEMENT_CONSTRAINT:
            raise BusinessRuleError(
                f"« {legal_entity.name} » est déjà rattachée à ce groupement sur cette période."
            ) from error
        raise
    _terms_create(
        membership=membership, valid_from=admitted_on, voting_rights=voting_rights,
        contribution_share=contribution_share, act=act,
    )  # fmt: skip
    journal_record(
        action=JournalAction.MEMBER_ADMITTED,
        groupement=membership.groupement_id,
        actor=actor,
        target=membership,
        facts=_facts(
            membership,
            admitted_on=admitted_on,
            founding=founding,
            act=membership.admission_act,
            voting_rights=voting_rights,
            contribution_share=contribution_share,
        ),
    )
    return membership


def _constraint_name(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


@transaction.atomic
def membership_withdraw(
    *,
    membership: Membership,
    notified_on: datetime.date,
    left_on: datetime.date,
    act: str,
    actor: AbstractBaseUser | None = None,
) -> Membership:
    """Record a member's withdrawal (retrait), effective on ``left_on`` (first day no longer a member).

    A member withdraws only at the end of a financial year, having notified the groupement at least
    six months before that end (R. 312-194-10 CASF): ``left_on`` is a 1 January and ``notified_on``
    at the latest 30 June of the year before. A partner by convention is not a member: its
    partnership ends on the terms of its convention (L. 312-7), so only the order of dates is checked.
    """
    _require_manage_members(actor, membership.groupement)
    membership = _lock(membership)
    _check_act(act)
    _check_current(membership)
    _check_not_future(notified_on, "de notification du retrait")
    if notified_on < membership.admitted_on:
        raise BusinessRuleError(
            f"La notification du retrait ({format_date(notified_on)}) ne peut pas précéder l'admission "
            f"({format_date(membership.admitted_on)})."
        )
    if left_on <= notified_on:
        raise BusinessRuleError("La date de sortie doit être postérieure à la date de notification du retrait.")
    if membership.category != MembershipCategory.PARTNER:
        _check_withdrawal_dates(notified_on=notified_on, left_on=left_on)
    _record_leave(membership, left_on=left_on, reason=LeaveReason.WITHDRAWAL, act=act)
    journal_record(
        action=JournalAction.MEMBER_WITHDRAWN,
        groupement=membership.groupement_id,
        actor=actor,
        target=membership,
        facts=_facts(membership, notified_on=notified_on, left_on=left_on, act=membership.leave_act),
    )
    return membership


@transaction.atomic
def membership_exclude(
    *,
    membership: Membership,
    hearing_on: datetime.date,
    decided_on: datetime.date,
    left_on: datetime.date,
    act: str,
    actor: AbstractBaseUser | None = None,
) -> Membership:
    """Record a member's exclusion, decided by the AG on ``decided_on``, effective on ``left_on``.

    Only in a groupement of at least three members, after hearing the member's representative
    (R. 312-194-10 CASF); the AG decides without the member's vote (R. 312-194-22). ``left_on`` is
    the first day no longer a member, on or after the decision.
    """
    _require_manage_members(actor, membership.groupement)
    membership = _lock(membership)
    _check_act(act)
    _check_current(membership)
    _check_not_future(decided_on, "de la décision d'exclusion")
    if hearing_on < membership.admitted_on:
        raise BusinessRuleError(
            f"L'audition ({format_date(hearing_on)}) ne peut pas précéder l'admission "
            f"({format_date(membership.admitted_on)})."
        )
    _check_exclusion_allowed(membership=membership, hearing_on=hearing_on, decided_on=decided_on)
    if left_on < decided_on:
        raise BusinessRuleError(
            f"La sortie ({format_date(left_on)}) ne peut pas précéder la décision d'exclusion "
            f"({format_date(decided_on)})."
        )
    _record_leave(membership, left_on=left_on, reason=LeaveReason.EXCLUSION, act=act)
    journal_record(
        action=JournalAction.MEMBER_EXCLUDED,
        groupement=membership.groupement_id,
        actor=actor,
        target=membership,
        facts=_facts(
            membership, hearing_on=hearing_on, decided_on=decided_on, left_on=left_on, act=membership.leave_act
        ),
    )
    return membership


@transaction.atomic
def membership_terms_change(
    *,
    membership: Membership,
    valid_from: datetime.date,
    voting_rights: Decimal,
    contribution_share: Decimal,
    act: str,
    actor: AbstractBaseUser | None = None,
) -> MembershipTerms:
    """Give a member new voting rights and contribution share from ``valid_from``: a new dated row.

    Rights follow the apports or the contribution to running costs (R. 312-194-12 CASF), and the
    contributions are revised every year with the budget (R. 312-194-7 8°). Earlier rows are kept:
    the new row must start after the latest one, within the membership period.
    """
    _require_manage_members(actor, membership.groupement)
    membership = _lock(membership)
    _check_act(act)
    if valid_from < membership.admitted_on:
        raise BusinessRuleError(
            f"Les nouvelles conditions ({format_date(valid_from)}) ne peuvent pas précéder l'admission "
            f"({format_date(membership.admitted_on)})."
        )
    if membership.left_on is not None and valid_from >= membership.left_on:
        raise BusinessRuleError(
            f"« {membership.legal_entity.name} » n'est plus membre à partir du {format_date(membership.left_on)} : "
            "ses conditions ne peuvent pas changer après sa sortie."
        )
    latest = membership.terms.order_by("-valid_from").first()
    if latest is not None and valid_from <= latest.valid_from:
        raise BusinessRuleError(
            f"Les conditions en vigueur s'appliquent depuis le {format_date(latest.valid_from)} : les nouvelles "
            "conditions doivent commencer après cette date (l'historique n'est jamais réécrit)."
        )
    _check_terms_values(voting_rights=voting_rights, contribution_share=contribution_share)
    _check_partner_rights(category=membership.category, voting_rights=voting_rights)
    terms = _terms_create(
        membership=membership, valid_from=valid_from, voting_rights=voting_rights,
        contribution_share=contribution_share, act=act,
    )  # fmt: skip
    journal_record(
        action=JournalAction.MEMBERSHIP_TERMS_CHANGED,
        groupement=membership.groupement_id,
        actor=actor,
        target=membership,
        facts=_facts(
            membership,
            valid_from=valid_from,
            voting_rights=voting_rights,
            contribution_share=contribution_share,
            act=terms.act,
        ),
    )
    return terms


@transaction.atomic
def ght_membership_save(*, ght_membership: GhtMembership, actor: AbstractBaseUser | None = None) -> GhtMembership:
    """Record (or correct) a legal entity's membership of a GHT, which meets the joining obligation.

    L. 312-7-2 I CASF: a concerned establishment joins a GHT (L. 6132-1 CSP) or a GTSMS. GHT
    membership is not in FINESS, so platform admins record it by hand, and it is journaled.

    Journaled under the groupement the legal entity is a member of today, if any
    (``selectors.journal_groupement_of``), else as a platform-wide event: a GHT is not a groupement
    of this platform, and a groupement's history shows what concerns its members.
    """
    created = ght_membership._state.adding
    _full_clean(ght_membership)
    ght_membership.save()
    journal_record(
        action=JournalAction.GHT_MEMBERSHIP_RECORDED,
        groupement=journal_groupement_of(legal_entity_id=ght_membership.legal_entity_id),
        actor=actor,
        target=ght_membership,
        facts={
            "legal_entity": ght_membership.legal_entity_id,
            "ght": ght_membership.ght_name,
            "since": ght_membership.since.isoformat(),
            "until": ght_membership.until.isoformat() if ght_membership.until else None,
            "created": created,
        },
    )
    return ght_membership


def _require_platform_admin(actor: AbstractBaseUser | None, what: str) -> None:
    """Groupements, GHT memberships and dérogations are recorded by platform administrators (the
    Django admin); ``actor=None`` is the platform itself (demo, commands)."""
    if actor is not None:  # None is the platform itself (commands, demo), not checked
        require(is_platform_admin(actor), f"Seul un administrateur de la plateforme peut {what}.")


def _fact(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


GROUPEMENT_FIELDS = (
    "kind", "name", "slug", "finess_ej", "siren", "seat_address", "seat_postal_code", "seat_city", "region",
    "status", "convention_transmitted_on", "publication_reference", "published_on", "dissolved_on",
)  # fmt: skip


def _departement_codes(groupement: Groupement) -> list[str]:
    return sorted(groupement.departements.values_list("code", flat=True))


@transaction.atomic
def groupement_create(
    *,
    name: str,
    slug: str,
    region: Region,
    departements=(),
    actor: AbstractBaseUser | None = None,
    **fields,
) -> Groupement:
    """Create a groupement (GTSMS or GCSMS) with its région and départements, journaled ``GROUPEMENT_CREATED``.

    ``fields`` are the other fields of ``Groupement`` (``GROUPEMENT_FIELDS``). The model holds the
    rule of publication (the convention is published in the RAA only after its transmission to the
    DG ARS, which gives the groupement its legal personality: R. 312-194-29 to -31 CASF, decree.md
    rules 2.3 and 2.4).
    """
    _require_platform_admin(actor, "créer un groupement")
    unknown = set(fields) - set(GROUPEMENT_FIELDS)
    if unknown:
        raise TypeError(f"groupement_create: unknown fields {sorted(unknown)}")
    groupement = Groupement(name=name, slug=slug, region=region, **fields)
    _full_clean(groupement)
    groupement.save()
    groupement.departements.set(departements)
    journal_record(
        action=JournalAction.GROUPEMENT_CREATED,
        groupement=groupement,
        actor=actor,
        target=groupement,
        facts={
            **{field: _fact(getattr(groupement, field)) for field in GROUPEMENT_FIELDS},
            "region": groupement.region_id,
            "departements": _departement_codes(groupement),
        },
    )
    return groupement


@transaction.atomic
def groupement_update(
    *, groupement: Groupement, departements=None, actor: AbstractBaseUser | None = None, **changes
) -> Groupement:
    """Change a groupement's identity, status or dates; journaled ``GROUPEMENT_UPDATED`` with each
    field's old and new values. Nothing changed, nothing journaled.

    ``changes`` are fields of ``GROUPEMENT_FIELDS``; ``departements`` (if given) replaces the list.
    """
    _require_platform_admin(actor, "modifier un groupement")
    unknown = set(changes) - set(GROUPEMENT_FIELDS)
    if unknown:
        raise TypeError(f"groupement_update: unknown fields {sorted(unknown)}")
    Groupement.objects.select_for_update(of=("self",)).filter(pk=groupement.pk).values_list("pk").get()
    before = Groupement.objects.get(pk=groupement.pk)
    diff = {}
    for field, value in changes.items():
        setattr(groupement, field, value)
        old, new = _fact(getattr(before, field)), _fact(getattr(groupement, field))
        if old != new:
            diff[field] = [old, new]
    _full_clean(groupement)
    if diff:
        groupement.save(update_fields=[*diff, "updated_at"])
    if departements is not None:
        old_codes = _departement_codes(before)
        groupement.departements.set(departements)
        new_codes = _departement_codes(groupement)
        if old_codes != new_codes:
            diff["departements"] = [old_codes, new_codes]
    if diff:
        journal_record(
            action=JournalAction.GROUPEMENT_UPDATED,
            groupement=groupement,
            actor=actor,
            target=groupement,
            facts={"changes": diff},
        )
    return groupement


DEROGATION_FIELDS = ("ground", "received_on", "pcd_referred_on", "pcd_opinion", "pcd_opinion_on", "decision",
                     "decision_on", "reference")  # fmt: skip


@transaction.atomic
def derogation_record(*, derogation: Derogation, actor: AbstractBaseUser | None = None) -> Derogation:
    """Record (or correct) a request for dérogation, journaled ``DEROGATION_RECORDED``.

    A mandatory establishment may ask the DG ARS not to join a GTSMS or a GHT (R. 312-194-32 CASF):
    the request is received with a date certaine, the PCD is asked for an opinion within a month, and
    the DG ARS decides (silence for two months after receipt means refusal). The model holds the
    rules of dates (a decision is dated, not before the receipt); the status is computed from the
    dates (``members.eligibility.derogation_status``). Recorded by platform administrators.

    Journaled under the groupement the legal entity is a member of today (usually none: it asks
    not to join), else as a platform-wide event (``selectors.journal_groupement_of``).
    """
    _require_platform_admin(actor, "enregistrer une dérogation")
    created = derogation._state.adding
    _full_clean(derogation)
    derogation.save()
    journal_record(
        action=JournalAction.DEROGATION_RECORDED,
        groupement=journal_groupement_of(legal_entity_id=derogation.legal_entity_id),
        actor=actor,
        target=derogation,
        facts={
            "legal_entity": derogation.legal_entity_id,
            "finess": derogation.legal_entity.finess,
            **{field: _fact(getattr(derogation, field)) for field in DEROGATION_FIELDS},
            "created": created,
        },
    )
    return derogation
