"""Who may see what: the groupement a request is about, checked once (every room with pages under
/groupement/<slug>/), whether a reader has it in scope, and the rows a user holds a right on
(``objects_granted_to``)."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from guardian.utils import get_group_obj_perms_model

from core import rights
from core.perms import is_platform_admin, request_checker, require
from members import perms
from members.models import Departement, Establishment, Groupement, Region


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


def objects_granted_to(*, user, right: rights.Right, queryset: QuerySet, with_superuser: bool = True) -> QuerySet:
    """The rows of ``queryset`` on which ``user`` holds ``right``: what a page lists as "what I may see".

    Scoped first by the user's active role assignments on that kind of object (``RoleAssignment``
    rows joined on the scope field, a few rows), then checked against the object permissions of the
    user's groups (roles grant rights through groups only) on those rows only: the plan does not grow
    with the table.
    guardian's ``get_objects_for_user`` writes ``id IN (…) OR id IN (…)``, which PostgreSQL answers by
    scanning the whole table. A platform administrator gets every row when ``with_superuser``.
    """
    if not user.is_active:
        return queryset.none()
    if with_superuser and is_platform_admin(user):
        return queryset
    model = queryset.model
    assigned = model.objects.filter(roleassignment__user=user, roleassignment__revoked_at__isnull=True).values(
        "pk"
    )  # the reverse of accounts.RoleAssignment.<scope>, named without importing accounts
    # Roles give rights through groups only (accounts.services), so the check reads the group grants.
    holder = get_group_obj_perms_model(model)
    if any(f.name == "object_pk" for f in holder._meta.fields):  # guardian's generic table
        granted = holder.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_pk=Cast(OuterRef("pk"), output_field=CharField()),
        )
    else:
        granted = holder.objects.filter(content_object=OuterRef("pk"))
    granted = granted.filter(group__user=user, permission__codename=right.codename)
    return queryset.filter(pk__in=assigned).filter(Exists(granted))


def directed_establishments(user, queryset: QuerySet | None = None) -> QuerySet:
    """The establishments ``user`` directs (``members.direct_establishment``, read through their role
    assignments first): a platform administrator's too, not all of FINESS. The one source of "the
    member director's establishments" (portal, its documents, pooled functions, convocations)."""
    queryset = queryset if queryset is not None else Establishment.objects.all()
    return objects_granted_to(user=user, right=perms.DIRECT_ESTABLISHMENT, queryset=queryset, with_superuser=False)


def reader_scope_q(user) -> Q:
    """Groupements in a reader's scope: of a région they review (ARS, ``members.review_region``), or
    with one of the départements they read (conseil départemental, ``members.read_departement``).
    The one rule of "this groupement is in the reader's territory"."""
    regions = objects_granted_to(user=user, right=perms.REVIEW_REGION, queryset=Region.objects.all())
    departements = objects_granted_to(user=user, right=perms.READ_DEPARTEMENT, queryset=Departement.objects.all())
    return Q(region__in=regions.values("pk")) | Q(departements__in=departements.values("pk"))


def reads_in_scope(user, groupement: Groupement) -> bool:
    """Whether ``groupement`` is in the territory of a reader (``reader_scope_q``): one query."""
    if user is None or not user.is_authenticated:
        return False
    return Groupement.objects.filter(reader_scope_q(user), pk=groupement.pk).exists()


def get_groupement_for_reading(request, slug: str) -> tuple[Groupement, bool]:
    """The groupement named in the URL and whether the user reads it as an ARS or département reader.

    Its director and staff (``members.view_groupement``) read it as staff (``False``); a reader with
    the groupement in scope (``reads_in_scope``) reads it read-only (``True``); anyone else gets 403.
    Readers never write whatever the page shows (accounts' read-only middleware).
    """
    groupement = get_object_or_404(
        Groupement.objects.select_related("region").prefetch_related("departements"), slug=slug
    )
    if perms.can_view_groupement(request_checker(request), groupement):
        return groupement, False
    if reads_in_scope(request.user, groupement):
        return groupement, True
    raise PermissionDenied("Vous n'avez pas accès à ce groupement.")
