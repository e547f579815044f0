"""The law of the assemblée générale, as pure functions (no database): each rule written once, with its article.

CASF R. 312-194-19 to -22 are the GCSMS rules; they apply to a GTSMS unless the décret
n° 2025-1394 says otherwise (decree.md §0 and §3.1). The services read the convention version in
force on the meeting's date for the settings it may change (delays, ordinary majority) and call
these functions; nothing else decides an outcome.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from core.exceptions import BusinessRuleError
from core.formatting import format_date
from governance.enums import DeliberationKind, MajorityRule, OrdinaryMajority, VoteChoice


ZERO = Decimal(0)
HALF = Decimal(1) / Decimal(2)

ART_CONVOCATION = "R. 312-194-20"
ART_QUORUM = "R. 312-194-22"
ART_MAJORITY = "R. 312-194-22"
ART_PROXY = "R. 312-194-20"
ART_ADMINISTRATOR = "R. 312-194-23"

# Legal defaults (R. 312-194-20): the convention may set other convocation delays.
DEFAULT_CONVOCATION_DAYS = 15
DEFAULT_URGENT_CONVOCATION_HOURS = 48
# R. 312-194-22: without quorum, a second meeting "within 15 days, 8 if urgent". NOT a setting.
SECOND_CALL_DAYS = 15
SECOND_CALL_URGENT_DAYS = 8
# R. 312-194-20: proxies only when the groupement has more than two members; at most one proxy per member.
PROXY_MINIMUM_MEMBERS = 3
ADMINISTRATOR_MANDATE_YEARS = 3

UNANIMITY_KINDS = frozenset({DeliberationKind.CONVENTION_CHANGE, DeliberationKind.ADMISSION})

# The R. 312-194-21 item of each kind (the GTSMS director proposal comes from the décret, decree.md 3.1.7).
KIND_ARTICLES: dict[str, str] = {
    DeliberationKind.BUDGET: "R. 312-194-21 1°",
    DeliberationKind.ACCOUNTS: "R. 312-194-21 2°",
    DeliberationKind.ADMINISTRATOR_ELECTION: "R. 312-194-21 3°",
    DeliberationKind.CONVENTION_CHANGE: "R. 312-194-21 5°",
    DeliberationKind.ADMISSION: "R. 312-194-21 6°, R. 312-194-10",
    DeliberationKind.EXCLUSION: "R. 312-194-21 7°, R. 312-194-10",
    DeliberationKind.OTHER_STRUCTURE: "R. 312-194-21 9°",
    DeliberationKind.AUTHORISATION: "R. 312-194-21 10°",
    DeliberationKind.EXTENSION_DISSOLUTION: "R. 312-194-21 11°",
    DeliberationKind.INTERNAL_RULES: "R. 312-194-21 16°",
    DeliberationKind.WITHDRAWAL_TERMS: "R. 312-194-10",
    DeliberationKind.DIRECTOR_PROPOSAL: "décret n° 2025-1394 (proposition au DG ARS)",
    DeliberationKind.OTHER: "R. 312-194-21",
}


def _fmt(value: Decimal) -> str:
    """Rights as French numbers, without useless decimals: 55, 12,5."""
    if value == value.to_integral():
        return str(int(value))
    return format(value.normalize(), "f").replace(".", ",")


# --- Convocation ------------------------------------------------------------------------------------


def convocation_delay(*, urgent: bool, days: int, urgent_hours: int) -> datetime.timedelta:
    """The minimum time between sending the convocation and the meeting (R. 312-194-20 CASF)."""
    return datetime.timedelta(hours=urgent_hours) if urgent else datetime.timedelta(days=days)


def check_convocation(
    *,
    sent_at: datetime.datetime,
    meeting_at: datetime.datetime,
    urgent: bool,
    days: int,
    urgent_hours: int,
    source: str,
) -> None:
    """Refuse a convocation sent less than the delay before the meeting (R. 312-194-20 CASF).

    ``source`` says where the delay comes from (the legal default or the convention's version).
    """
    delay = convocation_delay(urgent=urgent, days=days, urgent_hours=urgent_hours)
    if meeting_at - sent_at >= delay:
        return
    what = f"{urgent_hours} heures (urgence)" if urgent else f"{days} jours"
    latest = meeting_at - delay
    raise BusinessRuleError(
        f"La convocation doit être envoyée au moins {what} avant la séance ({source}, art. {ART_CONVOCATION} CASF) : "
        f"pour une séance le {format_datetime(meeting_at)}, il fallait convoquer au plus tard le "
        f"{format_datetime(latest)} ; "
        f"envoyée le {format_datetime(sent_at)}, elle est trop tardive."
    )


def format_datetime(value: datetime.datetime) -> str:
    """« 20 mars 2027 à 14 h 00 », in local time."""
    local = timezone.localtime(value)
    return f"{format_date(local.date())} à {local:%H h %M}"


def check_second_call(
    *, first_on: datetime.date, second_on: datetime.date, urgent: bool, first_quorum_reached: bool | None
) -> None:
    """A second call follows a first meeting without quorum, within 15 days (8 if urgent) (R. 312-194-22 CASF).

    Read as the issue states it: the second meeting itself falls within the window. The text says the
    assembly "est à nouveau convoquée dans un délai de quinze jours", which may instead mean the new
    convocation; decree.md does not settle it.
    """
    if first_quorum_reached is None:
        raise BusinessRuleError(
            "Une seconde convocation suit une séance close faute de quorum : la première séance n'est pas close "
            f"(art. {ART_QUORUM} CASF)."
        )
    if first_quorum_reached:
        raise BusinessRuleError(
            "La première séance a atteint le quorum : une seconde convocation n'a pas lieu d'être "
            f"(art. {ART_QUORUM} CASF)."
        )
    window = SECOND_CALL_URGENT_DAYS if urgent else SECOND_CALL_DAYS
    if not first_on < second_on <= first_on + datetime.timedelta(days=window):
        raise BusinessRuleError(
            f"La seconde séance doit se tenir dans les {window} jours suivant la première"
            f"{' (urgence)' if urgent else ''} : entre le {format_date(first_on + datetime.timedelta(days=1))} et le "
            f"{format_date(first_on + datetime.timedelta(days=window))}, et non le {format_date(second_on)} "
            f"(art. {ART_QUORUM} CASF)."
        )


def due_by_right(*, requesting: int, members: int) -> bool:
    """A meeting asked for by at least one third of the members is due by right (R. 312-194-20 CASF)."""
    return members > 0 and 3 * requesting >= members


# --- Attendance and proxies -------------------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    member: int  # membership id
    status: str  # AttendanceStatus value
    holder: int | None = None  # membership id of the proxy holder, for a represented member


def check_attendance(presences: Iterable[Presence], *, names: dict[int, str], member_count: int) -> None:
    """Proxies (R. 312-194-20 CASF): only with more than two members; a member holds at most one proxy,
    whatever the convention says; a represented member is not present; nobody represents itself;
    the holder attends (present) to carry the proxy."""
    rows = {p.member: p for p in presences}
    held: dict[int, int] = {}
    for presence in rows.values():
        if presence.status != "REPRESENTED":
            if presence.holder is not None:
                raise BusinessRuleError(
                    f"« {names[presence.member]} » : un mandataire ne s'indique que pour un membre représenté."
                )
            continue
        name = names[presence.member]
        if member_count < PROXY_MINIMUM_MEMBERS:
            raise BusinessRuleError(
                f"« {name} » ne peut pas être représenté : le vote par procuration n'est possible que si le "
                f"groupement compte plus de deux membres ; il en compte {member_count} (art. {ART_PROXY} CASF)."
            )
        if presence.holder is None:
            raise BusinessRuleError(f"« {name} » est représenté : indiquez le membre qui détient sa procuration.")
        if presence.holder == presence.member:
            raise BusinessRuleError(f"« {name} » ne peut pas se représenter lui-même.")
        holder = rows.get(presence.holder)
        if holder is None or holder.status != "PRESENT":
            raise BusinessRuleError(
                f"« {names.get(presence.holder, 'le mandataire')} » détient la procuration de « {name} » : "
                "il doit être "
                "présent à la séance (un membre représenté ou absent ne peut pas porter de procuration)."
            )
        if presence.holder in held:
            raise BusinessRuleError(
                f"« {names[presence.holder]} » détient déjà la procuration de « {names[held[presence.holder]]} » : "
                f"un membre ne peut détenir qu'une procuration (art. {ART_PROXY} CASF ; la convention ne peut pas "
                "en prévoir davantage)."
            )
        held[presence.holder] = presence.member


# --- Quorum -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quorum:
    total: Decimal
    present: Decimal
    reached: bool
    second_call: bool

    @property
    def label(self) -> str:
        if self.second_call:
            return (
                f"seconde convocation : l'assemblée délibère quel que soit le nombre de voix présentes "
                f"({_fmt(self.present)} sur {_fmt(self.total)}), art. {ART_QUORUM} CASF"
            )
        word = "atteint" if self.reached else "non atteint"
        return (
            f"quorum {word} : {_fmt(self.present)} voix présentes ou représentées sur {_fmt(self.total)}, "
            f"il en faut au moins la moitié (art. {ART_QUORUM} CASF)"
        )


def quorum(*, rights: dict[int, Decimal], attending: Iterable[int], second_call: bool) -> Quorum:
    """Members present or represented hold at least half of the rights; a second call decides whatever
    the attendance (R. 312-194-22 CASF). Not a setting: the convention cannot change it."""
    total = sum(rights.values(), ZERO)
    present = sum((rights[m] for m in set(attending)), ZERO)
    reached = second_call or (total > 0 and present >= total * HALF)
    return Quorum(total=total, present=present, reached=reached, second_call=second_call)


# --- Outcome of a deliberation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ballot:
    member: int
    rights: Decimal
    choice: str  # VoteChoice value


@dataclass(frozen=True)
class Result:
    adopted: bool
    rule: str  # MajorityRule value
    article: str
    votes_for: Decimal
    votes_against: Decimal
    votes_abstain: Decimal
    votes_not_voting: Decimal
    base: Decimal  # the rights the rule counts against
    threshold_label: str

    def label(self, kind_label: str) -> str:
        """ "adoptée : 55 voix sur 90, majorité de la moitié des voix, exclusion, R. 312-194-22"."""
        word = "adoptée" if self.adopted else "rejetée"
        return (
            f"{word} : {_fmt(self.votes_for)} voix sur {_fmt(self.base)}, {MajorityRule(self.rule).label}, "
            f"{kind_label.lower()}, {self.article}"
        )


def rule_for(kind: str, ordinary: str) -> MajorityRule:
    """Which majority applies (R. 312-194-22 CASF): unanimity for a convention change and an admission;
    the exclusion rule for an exclusion; otherwise the convention's ordinary majority (legal default:
    majority of the votes of the members present or represented)."""
    if kind in UNANIMITY_KINDS:
        return MajorityRule.UNANIMITY
    if kind == DeliberationKind.EXCLUSION:
        return MajorityRule.EXCLUSION
    return MajorityRule(OrdinaryMajority(ordinary).value)


def outcome(
    *,
    kind: str,
    ballots: Iterable[Ballot],
    all_rights: dict[int, Decimal],
    ordinary: str = OrdinaryMajority.HALF_PRESENT,
    concerned: int | None = None,
) -> Result:
    """The outcome of one deliberation from the votes of the members present or represented.

    ``ballots``: one per member present or represented, weighted by its droits sociaux on the meeting's
    date (R. 312-194-12: votes are proportional to rights). ``all_rights``: the rights of every member
    on that date. ``concerned``: the member an exclusion is about, who does not vote.

    - Unanimity (convention change, admission): every member present or represented votes for; an
      abstention, a vote against or not voting breaks it (R. 312-194-22).
    - Exclusion: the member concerned does not vote; adopted if the votes for are at least half of the
      votes of the other members (R. 312-194-22). Read as half of *all* the other members' rights, not
      only of those present: the text says "les membres représentant au moins la moitié des voix".
    - Otherwise the ordinary majority of the convention; by default more than half of the rights
      present or represented (abstentions count as not for).
    """
    ballots = [b for b in ballots if b.member != concerned] if concerned is not None else list(ballots)
    rule = rule_for(kind, ordinary)
    sums = dict.fromkeys(VoteChoice.values, ZERO)
    for ballot in ballots:
        sums[ballot.choice] += ballot.rights
    votes_for = sums[VoteChoice.FOR]
    present = sum((b.rights for b in ballots), ZERO)
    if rule == MajorityRule.UNANIMITY:
        base = present
        adopted = bool(ballots) and all(b.choice == VoteChoice.FOR for b in ballots)
        threshold = "toutes les voix présentes ou représentées"
        article = f"{ART_MAJORITY}"
    elif rule == MajorityRule.EXCLUSION:
        base = sum((r for m, r in all_rights.items() if m != concerned), ZERO)
        adopted = base > 0 and votes_for >= base * HALF
        threshold = "au moins la moitié des voix des autres membres"
        article = f"{ART_MAJORITY}"
    elif rule == MajorityRule.CAST:
        base = present
        adopted = votes_for > sums[VoteChoice.AGAINST]
        threshold = "plus de voix pour que de voix contre"
        article = f"{ART_MAJORITY} et convention constitutive"
    elif rule == MajorityRule.TWO_THIRDS_PRESENT:
        base = present
        adopted = base > 0 and 3 * votes_for >= 2 * base
        threshold = "au moins deux tiers des voix présentes ou représentées"
        article = f"{ART_MAJORITY} et convention constitutive"
    elif rule == MajorityRule.HALF_ALL:
        base = sum(all_rights.values(), ZERO)
        adopted = base > 0 and votes_for > base * HALF
        threshold = "plus de la moitié des voix de tous les membres"
        article = f"{ART_MAJORITY} et convention constitutive"
    else:
        base = present
        adopted = base > 0 and votes_for > base * HALF
        threshold = "plus de la moitié des voix présentes ou représentées"
        article = f"{ART_MAJORITY}"
    return Result(
        adopted=adopted,
        rule=rule.value,
        article=article,
        votes_for=votes_for,
        votes_against=sums[VoteChoice.AGAINST],
        votes_abstain=sums[VoteChoice.ABSTAIN],
        votes_not_voting=sums[VoteChoice.NOT_VOTING],
        base=base,
        threshold_label=threshold,
    )


def administrator_mandate_end(start: datetime.date) -> datetime.date:
    """The administrateur of a GCSMS is elected for three years, renewable (R. 312-194-23 CASF); the end is
    the first day after the mandate (same date three years later; 28 February for a 29 February start)."""
    try:
        return start.replace(year=start.year + ADMINISTRATOR_MANDATE_YEARS)
    except ValueError:
        return start.replace(year=start.year + ADMINISTRATOR_MANDATE_YEARS, day=28)
