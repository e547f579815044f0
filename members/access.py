"""The groupement a request is about, checked once. Used by every room with pages under /groupement/<slug>/."""

from django.shortcuts import get_object_or_404

from core import rights
from core.perms import request_checker, require
from members import perms
from members.models import Groupement


def get_groupement_for(request, slug: str, right: rights.Right = perms.VIEW_GROUPEMENT) -> Groupement:
    """The groupement named in the URL, if the user holds ``right`` on it (one check, no loop).

    ``right`` is a right declared on the groupement scope by any room (``core.rights.declare``);
    the default is seeing the groupement (``members.perms.can_view_groupement``). Refused with a 403.
    """
    if isinstance(right, rights.Right) and right.scope != "groupement":
        raise ValueError(f"{right!r} is not held on a groupement")
    groupement = get_object_or_404(Groupement.objects.select_related("region"), slug=slug)
    require(
        request_checker(request).has_perm(right, groupement),
        "Vous n'avez pas accès à ce groupement.",
    )
    return groupement
