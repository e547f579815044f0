from django.shortcuts import render
from django.views.decorators.http import require_safe

from compliance import selectors
from core.perms import require
from members import perms as member_perms, selectors as member_selectors


def _review_scope(request):
    """The régions and départements the reader may see; refused to anyone else."""
    regions, departements = member_selectors.review_scope_for_user(user=request.user)
    require(
        member_perms.can_review_territory(regions, departements),
        "Cette page est réservée aux agents de l'ARS et aux lecteurs des départements.",
    )
    return regions, departements


@require_safe
def ars_home(request):
    """The review home of ARS staff and département readers: the groupements of their territory."""
    regions, departements = _review_scope(request)
    groupements = member_selectors.groupement_list_for_review(regions=regions, departements=departements)
    context = {"regions": regions, "departements": departements, "groupements": groupements}
    return render(request, "compliance/ars_home.html", context)


@require_safe
def coverage(request):
    """Every mandatory establishment of the territory and the GTSMS, GHT or dérogation it belongs to."""
    regions, departements = _review_scope(request)
    context = {
        "regions": regions,
        "departements": departements,
        "coverage": selectors.coverage_for_territory(regions=regions, departements=departements),
    }
    return render(request, "compliance/coverage.html", context)
