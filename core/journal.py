from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.enums import JournalAction
from core.models import JournalEntry


def journal_record(
    *,
    action: JournalAction,
    groupement,
    actor=None,
    target: models.Model | None = None,
    facts: dict[str, Any] | None = None,
) -> JournalEntry:
    """Append one business event to the journal. The only way rows get into it.

    ``groupement`` is required: the groupement the event belongs to (an instance or its id), or
    ``None`` for a platform-wide event (a FINESS import, a permissions sync). A groupement's
    activity, its history and "who from the ARS read what" are one indexed query on it.
    """
    groupement_id = getattr(groupement, "pk", groupement)
    return JournalEntry.objects.create(
        action=action,
        groupement_id=groupement_id,
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        facts=facts or {},
    )
