"""Who may do what with documents. The rights are the groupement's (declared on members.Groupement).

Document rights are object permissions on the groupement, so the codenames come from
``members.perms``; this module holds the composite rules and the booleans the templates receive.
"""

from documents.enums import DocumentStatus
from members import perms as member_perms


VIEW_GROUPEMENT = member_perms.VIEW_GROUPEMENT
GENERATE_DOCUMENTS = member_perms.GENERATE_DOCUMENTS
FINALISE_DOCUMENTS = member_perms.FINALISE_DOCUMENTS


def can_finalise_documents(user, groupement) -> bool:
    """The user may finalise the groupement's documents (and ask for final ones directly)."""
    return user.has_perm(FINALISE_DOCUMENTS, groupement)


def document_abilities(checker, groupement) -> dict[str, bool]:
    """What the user may do on the groupement's documents pages, from the request's permission checker.

    ``generate``: ask for documents; ``finalise``: turn drafts into final documents, ask for final
    documents directly.
    """
    codenames = set(checker.get_perms(groupement))
    return {
        "generate": GENERATE_DOCUMENTS.split(".", 1)[1] in codenames,
        "finalise": FINALISE_DOCUMENTS.split(".", 1)[1] in codenames,
    }


def can_finalise_document(abilities: dict[str, bool], document) -> bool:
    """A document can be finalised by a user who may finalise, while it is a draft."""
    return abilities["finalise"] and document.status == DocumentStatus.DRAFT
