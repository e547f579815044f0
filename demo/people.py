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


# The demo only: a published TOTP secret (README), so that anyone trying the demo can sign in as the
# Creuse director with an authenticator app. Never a real account's secret.
DEMO_TOTP_KEY_HEX = b"gtsms-demo-totp-2028".hex()  # base32: M52HG3LTFVSGK3LPFV2G65DQFUZDAMRY


def demo_totp_device(*, user):
    """A confirmed TOTP device with the published demo secret (idempotent)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Application de démonstration", defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True}
    )
    return device
