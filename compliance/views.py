from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from compliance import forms, selectors
from core.perms import require
from members import perms as member_perms, selectors as member_selectors


COVERAGE_PER_PAGE = 50


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
    """Counts of the territory's mandatory establishments per département, and one département's list.

    The list shows one département at a time (``?departement=``, the first one by default), optionally one
    status (``?statut=``), 50 rows a page.
    """
    regions, departements = _review_scope(request)
    coverage = selectors.coverage_for_territory(regions=regions, departements=departements)
    listed = [group for group in coverage.departements if group.counts.mandatory]
    form = forms.CoverageFilterForm(request.GET or None, departements=[group.departement for group in listed])
    code, status = form.choice()
    group = coverage.get(code) or (listed[0] if listed else None)
    page = None
    if group is not None:
        rows = selectors.coverage_rows(departement=group.departement, status=status, day=coverage.day)
        paginator = Paginator(rows, COVERAGE_PER_PAGE)
        paginator.count = group.counts.of(status)  # known from the aggregate: no second count
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = selectors.coverage_row_labels(list(page.object_list))
    context = {
        "regions": regions,
        "departements": departements,
        "coverage": coverage,
        "form": form,
        "selected": group,
        "status_label": selectors.CoverageStatus(status).label if status else "",
        "page_obj": page,
    }
    return render(request, "compliance/coverage.html", context)
