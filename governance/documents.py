"""Documents of the governance room: the convocation, the minutes (procès-verbal) and the director's file.

Registered with ``documents`` in ``GovernanceConfig.ready()`` (one call per kind, in ``register_document_kinds``,
so that the lead can adapt it to the registry's ``subject=``/``audience=``/``requestable=`` keywords).
"""

from django.utils import timezone

from core.exceptions import BusinessRuleError
from documents import registry
from governance import selectors
from governance.models import DirectorNomination, Meeting


def _pk(subject_key: str, label: str) -> int:
    prefix, _, pk = subject_key.partition(":")
    if prefix != label or not pk.isdigit():
        raise BusinessRuleError("Ce document porte sur une assemblée générale ou un dossier précis.")
    return int(pk)


def _meeting(groupement, subject_key: str) -> Meeting:
    try:
        return Meeting.objects.select_related("groupement", "first_call").get(
            pk=_pk(subject_key, "governance.meeting"), groupement=groupement
        )
    except Meeting.DoesNotExist:
        raise BusinessRuleError("Cette assemblée générale n'existe pas dans ce groupement.") from None


def convocation_context(groupement, subject_key, year, progress) -> dict:
    meeting = _meeting(groupement, subject_key)
    progress(50, "Ordre du jour")
    return {
        "meeting": meeting,
        "scheduled": timezone.localtime(meeting.scheduled_at),
        "detail": selectors.meeting_detail(meeting=meeting),
        "title": f"Convocation — {meeting}",
    }


def minutes_context(groupement, subject_key, year, progress) -> dict:
    meeting = _meeting(groupement, subject_key)
    progress(50, "Présences et votes")
    return {
        "meeting": meeting,
        "scheduled": timezone.localtime(meeting.scheduled_at),
        "detail": selectors.meeting_detail(meeting=meeting, with_votes=True),
        "title": f"Procès-verbal — {meeting}",
    }


def director_file_context(groupement, subject_key, year, progress) -> dict:
    try:
        nomination = selectors.nomination_queryset().get(
            pk=_pk(subject_key, "governance.directornomination"), groupement=groupement
        )
    except DirectorNomination.DoesNotExist:
        raise BusinessRuleError("Ce dossier de nomination n'existe pas dans ce groupement.") from None
    progress(50, "Étapes du dossier")
    return {
        "nomination": nomination,
        "steps": selectors.nomination_steps(nomination),
        "title": "Dossier de nomination",
    }


def _subject_kwargs(model: str, resolve) -> dict:
    """The registry's new keywords, passed only when the registry has them (another helper adds them)."""
    if not hasattr(registry, "Audience"):
        return {}
    audience = frozenset({registry.Audience.STAFF, registry.Audience.MEMBERS, registry.Audience.READERS})
    return {
        "subject": registry.ObjectSubject(model=model, resolve=resolve),
        "audience": audience,
        "requestable": False,
    }


def _resolve_meeting(groupement, pk):
    return Meeting.objects.filter(groupement=groupement, pk=pk).first()


def _resolve_nomination(groupement, pk):
    return DirectorNomination.objects.filter(groupement=groupement, pk=pk).first()


def register_document_kinds() -> None:
    """The governance kinds: produced by the services (convening, closing, the director file),
    never by the generic form."""
    registry.register(
        "convocation",
        format="pdf",
        title="Convocation à l'assemblée générale",
        builder=convocation_context,
        template="print/governance_convocation.html",
        **_subject_kwargs("governance.meeting", _resolve_meeting),
    )
    registry.register(
        "minutes",
        format="pdf",
        title="Procès-verbal de l'assemblée générale",
        builder=minutes_context,
        template="print/governance_minutes.html",
        **_subject_kwargs("governance.meeting", _resolve_meeting),
    )
    registry.register(
        "director_file",
        format="pdf",
        title="Dossier de nomination du directeur",
        builder=director_file_context,
        template="print/governance_director_file.html",
        **_subject_kwargs("governance.directornomination", _resolve_nomination),
    )
