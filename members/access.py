"""The groupement a request is about, checked once. Used by every room with pages under /groupement/<slug>/."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from core.perms import request_checker
from members import perms
from members.models import Groupement


def get_groupement_for(request, slug: str, permission: str = perms.VIEW_GROUPEMENT) -> Groupement:
    """The groupement named in the URL, if the user holds ``permission`` on it (one check, no loop)."""
    groupement = get_object_or_404(Groupement.objects.select_related("region"), slug=slug)
    if not request_checker(request).has_perm(permission, groupement):
        raise PermissionDenied("Vous n'avez pas accès à ce groupement.")
    return groupement
