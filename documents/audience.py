"""Who reads which document: a user's audiences for a groupement, and the predicates of a read.

A kind of document names its audience when its room registers it (``registry.Audience``). A user
belongs, for one groupement, to:

- ``STAFF`` when they hold ``members.view_groupement`` on it (its director and staff, platform
  administrators): they read every document of the groupement;
- ``MEMBERS`` when they hold ``members.direct_establishment`` on an establishment whose legal entity
  is a member of the groupement today (an active membership, partners by convention excluded);
- ``READERS`` when they hold ``members.review_region`` on its région (ARS) or
  ``members.read_departement`` on one of its départements: they read final documents only.

Each audience costs one query at most, once per request (the staff check goes through the request's
guardian checker); lists filter in the ORM (``readable_q``), never document by document.
"""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from guardian.core import ObjectPermissionChecker

from core.perms import checker_for
from documents import registry
from documents.enums import DocumentStatus
from documents.registry import Audience
from members import perms as member_perms
from members.access import directed_establishments, reads_in_scope
from members.models import Groupement, Membership


def member_groupement_ids(user, day: datetime.date | None = None) -> QuerySet:
    """Ids of the groupements the user directs a member of, on ``day`` (today by default), as a
    subquery: an establishment they direct belongs to a legal entity with an active membership."""
    directed = directed_establishments(user).values("legal_entity_id")
    return (
        Membership.objects.active_on(day or timezone.localdate())
        .members()
        .filter(legal_entity_id__in=directed)
        .values("groupement_id")
    )


def _checker(user_or_checker) -> ObjectPermissionChecker:
    if isinstance(user_or_checker, ObjectPermissionChecker):
        return user_or_checker
    return checker_for(user_or_checker)


def audiences_for(checker, groupement) -> frozenset[Audience]:
    """The audiences the user belongs to for ``groupement`` (empty: no document to read).

    ``checker``: the request's guardian checker (``request_checker``), or the user. Staff read
    everything, so their other audiences are not looked up.
    """
    checker = _checker(checker)
    if checker.has_perm(member_perms.VIEW_GROUPEMENT, groupement):
        return frozenset({Audience.STAFF})
    user = checker.user
    if user is None or not user.is_authenticated:
        return frozenset()
    audiences = set()
    if Groupement.objects.filter(pk=groupement.pk, pk__in=member_groupement_ids(user)).exists():
        audiences.add(Audience.MEMBERS)
    if reads_in_scope(user, groupement):
        audiences.add(Audience.READERS)
    return frozenset(audiences)


def reads_kind(audiences: frozenset[Audience], kind: str, status: str) -> bool:
    """Whether these audiences read a document of ``kind`` in ``status`` (see ``can_read_document``)."""
    if Audience.STAFF in audiences:
        return True
    spec = registry.find(kind)
    if spec is None:
        return False
    if Audience.MEMBERS in audiences and Audience.MEMBERS in spec.audience:
        return True
    return Audience.READERS in audiences and Audience.READERS in spec.audience and status == DocumentStatus.FINAL


def can_read_document(checker, document, *, audiences: frozenset[Audience] | None = None) -> bool:
    """Who may read (list, download) a document of a groupement:

    the groupement's staff, every document; a director of one of its members, the documents whose
    kind's audience includes ``MEMBERS``; an ARS reviewer of its région or a reader of one of its
    départements, the *final* documents whose kind's audience includes ``READERS``. Nobody else.
    ``checker``: a guardian checker or the user; ``audiences``: the user's audiences for the
    document's groupement, when already computed.
    """
    if audiences is None:
        audiences = audiences_for(checker, document.groupement)
    return reads_kind(audiences, document.kind, document.status)


def readable_q(audiences: frozenset[Audience]) -> Q | None:
    """The documents (of one groupement) these audiences read, as a filter; None: all of them."""
    if Audience.STAFF in audiences:
        return None
    q = Q(pk__in=[])
    if Audience.MEMBERS in audiences:
        q |= Q(kind__in=[spec.kind for spec in registry.kinds_read_by({Audience.MEMBERS})])
    if Audience.READERS in audiences:
        q |= Q(
            kind__in=[spec.kind for spec in registry.kinds_read_by({Audience.READERS})], status=DocumentStatus.FINAL
        )
    return q


def member_kinds() -> list[str]:
    """Codes of the kinds member directors read."""
    return [spec.kind for spec in registry.kinds_read_by({Audience.MEMBERS})]
