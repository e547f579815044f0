"""The groupement a functions page is about, for its staff (read and write) or for a reader in scope (read only)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from core.perms import request_checker
from functions import perms
from members.models import Groupement
from members.selectors import review_scope_for_user


def groupement_for_reading(request, slug: str) -> tuple[Groupement, bool]:
    """The groupement named in the URL and whether the user reads it as an ARS or département reader.

    Its director and staff (``members.view_groupement``) read it as staff; an ARS reader of its région
    or a reader of one of its départements reads it read-only; anyone else gets 403.
    """
    groupement = get_object_or_404(
        Groupement.objects.select_related("region").prefetch_related("departements"), slug=slug
    )
    if perms.can_view_as_staff(request_checker(request), groupement):
        return groupement, False
    regions, departements = review_scope_for_user(user=request.user)
    if perms.can_read_as_reviewer(groupement, regions=regions, departements=departements):
        return groupement, True
    raise PermissionDenied("Vous n'avez pas accès à ce groupement.")
