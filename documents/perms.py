"""Rights of the documents room (declared on the groupement) and who may do what with documents.

Predicates take a guardian checker (``core.perms.request_checker`` in a view, ``checker_for(actor)``
in a service) and the object; a platform administrator (superuser) passes those reading a right.
"""

from core import rights
from documents.enums import DocumentStatus


ROOM = "documents"

GENERATE_DOCUMENTS = rights.declare(ROOM, "generate_documents", scope="groupement", label="produire des documents")
FINALISE_DOCUMENTS = rights.declare(ROOM, "finalise_documents", scope="groupement", label="finaliser des documents")


def can_generate_documents(checker, groupement) -> bool:
    """The groupement's director and staff ask for its documents (drafts, marked "PROJET")."""
    return GENERATE_DOCUMENTS.held_by(checker, groupement)


def can_finalise_documents(checker, groupement) -> bool:
    """Only the groupement's director finalises its documents, or asks for final ones directly."""
    return FINALISE_DOCUMENTS.held_by(checker, groupement)


def can_finalise_document(checker, groupement, document) -> bool:
    """A document is finalised by whoever may finalise the groupement's documents, while it is a draft.

    ``groupement`` is the document's (already loaded by the page): the check is cached per
    groupement, so a list of documents costs no query per row.
    """
    return document.status == DocumentStatus.DRAFT and can_finalise_documents(checker, groupement)


def document_abilities(checker, groupement) -> dict[str, bool]:
    """What the user may do on the groupement's documents pages.

    ``generate``: ask for documents; ``finalise``: turn drafts into final documents, ask for final
    documents directly.
    """
    return {
        "generate": can_generate_documents(checker, groupement),
        "finalise": can_finalise_documents(checker, groupement),
    }
