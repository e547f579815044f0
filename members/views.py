from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from core.models import JournalEntry
from members import perms, selectors
from members.models import Groupement


def get_groupement_for(request, slug: str, permission: str = perms.VIEW_GROUPEMENT) -> Groupement:
    """The groupement named in the URL, if the user holds ``permission`` on it (one check, no loop)."""
    groupement = get_object_or_404(Groupement.objects.select_related("region"), slug=slug)
    if not request.user.has_perm(permission, groupement):
        raise PermissionDenied("Vous n'avez pas accès à ce groupement.")
    return groupement


@require_safe
def groupement_list(request):
    groupements = list(selectors.groupement_list_for_user(user=request.user))
    if len(groupements) == 1 and not request.user.is_superuser:
        return redirect("members:groupement_dashboard", slug=groupements[0].slug)
    return render(request, "members/groupement_list.html", {"groupements": groupements})


@require_safe
def groupement_dashboard(request, slug: str):
    groupement = get_groupement_for(request, slug)
    context = {
        "groupement": groupement,
        "summary": selectors.groupement_summary(groupement=groupement),
        "memberships": selectors.membership_current_list(groupement=groupement),
        "journal": JournalEntry.objects.filter(facts__groupement=groupement.pk).select_related("actor")[:8],
        "departements": list(groupement.departements.all()),
    }
    return render(request, "members/groupement_dashboard.html", context)


@require_safe
def portal(request):
    establishments = selectors.portal_establishments_for_user(user=request.user)
    return render(request, "members/portal.html", {"establishments": establishments})
