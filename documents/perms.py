"""Rights of the documents room (declared on the groupement) and who may do what with documents."""

from core import rights
from documents.enums import DocumentStatus


ROOM = "documents"

GENERATE_DOCUMENTS = rights.declare(ROOM, "generate_documents", scope="groupement", label="produire des documents")
FINALISE_DOCUMENTS = rights.declare(ROOM, "finalise_documents", scope="groupement", label="finaliser des documents")


def can_finalise_documents(user, groupement) -> bool:
    """The user may finalise the groupement's documents (and ask for final ones directly)."""
    return user.has_perm(FINALISE_DOCUMENTS, groupement)


def document_abilities(checker, groupement) -> dict[str, bool]:
    """What the user may do on the groupement's documents pages, from the request's permission checker.

    ``generate``: ask for documents; ``finalise``: turn drafts into final documents, ask for final
    documents directly.
    """
    return {
        "generate": GENERATE_DOCUMENTS.held_by(checker, groupement),
        "finalise": FINALISE_DOCUMENTS.held_by(checker, groupement),
    }


def can_finalise_document(abilities: dict[str, bool], document) -> bool:
    """A document can be finalised by a user who may finalise, while it is a draft."""
    return abilities["finalise"] and document.status == DocumentStatus.DRAFT
