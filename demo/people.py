"""Demo people: one pending invitation per demo groupement (its mail lands in var/mail/ with make run)."""

from accounts.enums import Role
from accounts.models import Invitation
from accounts.services import invitation_create
from members.models import Groupement


def demo_invitation(*, groupement: Groupement, director) -> Invitation:
    """A staff member invited by the director, not yet accepted. Idempotent: found again on a second run."""
    email = f"invitation.{groupement.slug}@demo.gtsms.fr"
    existing = Invitation.objects.filter(email=email, groupement=groupement, role=Role.GROUPEMENT_STAFF).first()
    if existing is not None:
        return existing
    return invitation_create(
        email=email,
        first_name="Camille",
        last_name="Lefèvre",
        role=Role.GROUPEMENT_STAFF,
        scope_object=groupement,
        actor=director,
    )
