""" "Historique" pages of a groupement, a member (membership and its terms) and a member's establishment.

Each page is guarded like the object's own page (``get_groupement_for`` with the same right, the
membership of this groupement, the establishment of this member), then reads ``core.history``.
"""

from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from pghistory.models import Events

from core.history import history_page
from core.models import JournalEntry
from members import selectors
from members.access import get_groupement_for
from members.models import Establishment, Groupement, Membership


def _about(obj) -> dict:
    return {"target_type": ContentType.objects.get_for_model(obj), "target_id": str(obj.pk)}


def _membership_or_404(groupement: Groupement, membership_id: int) -> Membership:
    try:
        return selectors.membership_get(groupement=groupement, membership_id=membership_id)
    except Membership.DoesNotExist:
        raise Http404("Aucun membre de ce groupement ne correspond.") from None


def _render(request, *, title: str, back_url_name: str, back_args: list, page, groupement: Groupement):
    context = {
        "groupement": groupement,
        "title": title,
        "back_url": reverse(back_url_name, args=back_args),
        "back_label": "Tableau de bord" if back_url_name.endswith("dashboard") else "Fiche du membre",
        "page_obj": page,
    }
    return render(request, "history/history.html", context)


@require_safe
def groupement_history(request, slug: str):
    """The groupement's own changes and every business event journaled for it."""
    groupement = get_groupement_for(request, slug)
    page = history_page(
        events=Events.objects.tracks(groupement),
        journal=JournalEntry.objects.filter(groupement=groupement),
        page=request.GET.get("page"),
    )
    return _render(
        request,
        title=f"Historique — {groupement.name}",
        back_url_name="members:groupement_dashboard",
        back_args=[groupement.slug],
        page=page,
        groupement=groupement,
    )


@require_safe
def member_history(request, slug: str, membership_id: int):
    """The membership's changes and those of its dated terms, with the events journaled about it."""
    groupement = get_groupement_for(request, slug)
    membership = _membership_or_404(groupement, membership_id)
    page = history_page(
        events=Events.objects.references(membership),
        journal=JournalEntry.objects.filter(groupement=groupement, **_about(membership)),
        page=request.GET.get("page"),
    )
    return _render(
        request,
        title=f"Historique — {membership.legal_entity.name}",
        back_url_name="members:member_detail",
        back_args=[groupement.slug, membership.pk],
        page=page,
        groupement=groupement,
    )


@require_safe
def establishment_history(request, slug: str, membership_id: int, establishment_id: int):
    """An establishment of a member: its FINESS changes (imports, closings) and the events about it."""
    groupement = get_groupement_for(request, slug)
    membership = _membership_or_404(groupement, membership_id)
    try:
        establishment = Establishment.objects.get(pk=establishment_id, legal_entity_id=membership.legal_entity_id)
    except Establishment.DoesNotExist:
        raise Http404("Cet établissement n'appartient pas à ce membre.") from None
    page = history_page(
        events=Events.objects.tracks(establishment),
        journal=JournalEntry.objects.filter(**_about(establishment)),
        page=request.GET.get("page"),
    )
    return _render(
        request,
        title=f"Historique — {establishment.name} ({establishment.finess})",
        back_url_name="members:member_detail",
        back_args=[groupement.slug, membership.pk],
        page=page,
        groupement=groupement,
    )
