"""The convocation e-mails, one per member representative, through the one e-mail service (``core.mail``)."""

from django.utils import timezone
from guardian.shortcuts import get_users_with_perms

from core.mail import mail_send
from governance.models import Meeting
from members import perms as member_perms


def convocation_recipients(meeting: Meeting) -> list[tuple[str, str]]:
    """(member name, e-mail) of each member's representative: the directors of its establishments."""
    codename = member_perms.DIRECT_ESTABLISHMENT.codename
    recipients = []
    seen = set()
    attendances = meeting.attendances.select_related("membership__legal_entity").prefetch_related(
        "membership__legal_entity__establishments"
    )
    for attendance in attendances:
        entity = attendance.membership.legal_entity
        for establishment in entity.establishments.all():
            users = get_users_with_perms(establishment, only_with_perms_in=[codename], with_group_users=True)
            for user in users:
                if user.is_active and user.email and user.email not in seen:
                    seen.add(user.email)
                    recipients.append((entity.name, user.email))
    return recipients


def convocation_emails_send(meeting_id: int, actor=None) -> int:
    """One e-mail per representative, through the one e-mail service (``core.mail``: sent by the
    worker, retried, journaled); returns how many were asked for. A convocation sent twice is
    harmless, and the meeting records when it was convened."""
    meeting = Meeting.objects.select_related("groupement").get(pk=meeting_id)
    deliberations = list(meeting.deliberations.order_by("order"))
    scheduled = timezone.localtime(meeting.scheduled_at)
    sent = 0
    for member_name, email in convocation_recipients(meeting):
        mail_send(
            to=email,
            template="convocation",
            subject=f"Convocation — {meeting}",
            context={
                "meeting": meeting,
                "member_name": member_name,
                "deliberations": deliberations,
                "scheduled": scheduled,
            },
            groupement=meeting.groupement,
            kind="convocation",
            actor=actor,
        )
        sent += 1
    return sent
