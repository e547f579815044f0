"""The convocation e-mails, one per member representative, through the one e-mail service (``core.mail``)."""

from django.utils import timezone
from guardian.utils import get_group_obj_perms_model

from core.mail import mail_send
from governance.models import Meeting
from members import perms as member_perms
from members.models import Establishment


def convocation_recipients(meeting: Meeting) -> list[tuple[str, str]]:
    """(member name, e-mail) of each member's representative: the active directors of its
    establishments (``members.direct_establishment``, granted through role groups). One query."""
    holder = get_group_obj_perms_model(Establishment)
    rows = (
        holder.objects.filter(
            permission__codename=member_perms.DIRECT_ESTABLISHMENT.codename,
            content_object__legal_entity__memberships__attendances__meeting=meeting,
            group__user__is_active=True,
        )
        .exclude(group__user__email="")
        .values_list("content_object__legal_entity__name", "group__user__email")
        .order_by("content_object__legal_entity__name", "group__user__email")
        .distinct()
    )
    recipients, seen = [], set()
    for member_name, email in rows:
        if email not in seen:
            seen.add(email)
            recipients.append((member_name, email))
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
