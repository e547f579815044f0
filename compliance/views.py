from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_safe

from members import selectors as member_selectors


@require_safe
def ars_home(request):
    """The review home of ARS staff and département readers: the groupements of their territory."""
    regions, departements = member_selectors.review_scope_for_user(user=request.user)
    if not regions and not departements:
        raise PermissionDenied("Cette page est réservée aux agents de l'ARS et aux lecteurs des départements.")
    groupements = member_selectors.groupement_list_for_review(regions=regions, departements=departements)
    context = {"regions": regions, "departements": departements, "groupements": groupements}
    return render(request, "compliance/ars_home.html", context)
