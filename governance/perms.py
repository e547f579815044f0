"""Rights of the governance room, declared on the groupement, and the predicates that read them.

State-dependent rules (a closed meeting is frozen, a proxy is given before the meeting) are
predicates here, each with its rule; views pass their answers to templates as booleans.
"""

from django.utils import timezone

from core import rights
from governance.enums import MeetingStatus
from members import perms as member_perms


ROOM = "governance"

MANAGE_MEETINGS = rights.declare(
    ROOM,
    "manage_meetings",
    scope="groupement",
    label="préparer et tenir les assemblées générales (convocation, présences, votes, clôture)",
)
MANAGE_CONVENTION = rights.declare(
    ROOM, "manage_convention", scope="groupement", label="enregistrer la convention constitutive et ses avenants"
)
MANAGE_DIRECTOR = rights.declare(
    ROOM, "manage_director", scope="groupement", label="tenir le dossier de nomination du directeur"
)


def can_manage_meetings(checker, groupement) -> bool:
    """Holders of ``governance.manage_meetings`` on the groupement (its director and staff)."""
    return MANAGE_MEETINGS.held_by(checker, groupement)


def can_manage_convention(checker, groupement) -> bool:
    """Holders of ``governance.manage_convention`` on the groupement (its director)."""
    return MANAGE_CONVENTION.held_by(checker, groupement)


def can_manage_director(checker, groupement) -> bool:
    """Holders of ``governance.manage_director`` on the groupement (its director)."""
    return MANAGE_DIRECTOR.held_by(checker, groupement)


def can_edit_meeting(checker, meeting) -> bool:
    """A meeting is prepared (date, agenda) while it is not yet convened."""
    return can_manage_meetings(checker, meeting.groupement) and meeting.status == MeetingStatus.DRAFT


def can_hold_meeting(checker, meeting, *, now=None) -> bool:
    """Attendance and votes are recorded once the meeting has started, until it is closed (then frozen)."""
    now = now or timezone.now()
    return (
        can_manage_meetings(checker, meeting.groupement)
        and meeting.status == MeetingStatus.CONVENED
        and meeting.scheduled_at <= now
    )


def proxy_window_open(meeting, *, now=None) -> bool:
    """A proxy is given or withdrawn while the meeting is convened and has not started (R. 312-194-20 CASF)."""
    now = now or timezone.now()
    return meeting.status == MeetingStatus.CONVENED and meeting.scheduled_at > now


def can_give_proxy(checker, meeting, membership, *, now=None) -> bool:
    """A member's director (of one of its establishments) gives or withdraws its proxy from the portal,
    while the proxy window is open."""
    if not proxy_window_open(meeting, now=now):
        return False
    return any(
        member_perms.DIRECT_ESTABLISHMENT.held_by(checker, establishment)
        for establishment in membership.legal_entity.establishments.all()
    )


def meeting_abilities(checker, meeting, *, now=None) -> dict[str, bool]:
    """The booleans of the meeting page."""
    manage = can_manage_meetings(checker, meeting.groupement)
    return {
        "can_manage": manage,
        "can_edit": can_edit_meeting(checker, meeting),
        "can_convene": manage and meeting.status == MeetingStatus.DRAFT,
        "can_hold": can_hold_meeting(checker, meeting, now=now),
        "can_close": can_hold_meeting(checker, meeting, now=now),
        "can_second_call": manage
        and meeting.status == MeetingStatus.CLOSED
        and meeting.quorum_reached is False
        and not meeting.is_second_call,
    }
