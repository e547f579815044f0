import uuid

import pghistory
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.enums import Role
from accounts.roles import ROLE_SPECS


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("Une adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


@pghistory.track(exclude=["password", "last_login"])
class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address. Rights come only from role assignments."""

    email = models.EmailField("adresse électronique", unique=True)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    is_active = models.BooleanField("actif", default=True)
    is_staff = models.BooleanField("accès à l'administration", default=False)
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = "utilisateur"
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    def active(self) -> "RoleAssignmentQuerySet":
        return self.filter(revoked_at__isnull=True)


@pghistory.track()
class RoleAssignment(models.Model):
    """A role granted to a user on one object (groupement, establishment, région or département)."""

    user = models.ForeignKey(User, verbose_name="utilisateur", on_delete=models.PROTECT, related_name="roles")
    role = models.CharField("rôle", max_length=30, choices=Role.choices)
    groupement = models.ForeignKey("members.Groupement", null=True, blank=True, on_delete=models.PROTECT)
    establishment = models.ForeignKey("members.Establishment", null=True, blank=True, on_delete=models.PROTECT)
    region = models.ForeignKey("members.Region", null=True, blank=True, on_delete=models.PROTECT)
    departement = models.ForeignKey("members.Departement", null=True, blank=True, on_delete=models.PROTECT)
    granted_at = models.DateTimeField("attribué le", default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField("retiré le", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "attribution de rôle"
        verbose_name_plural = "attributions de rôles"
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                name="role_assignment_scope_matches_role",
                violation_error_message="Ce rôle ne peut pas être attribué sur ce type d'objet.",
                condition=(
                    Q(
                        role=Role.PLATFORM_ADMIN,
                        groupement__isnull=True,
                        establishment__isnull=True,
                        region__isnull=True,
                        departement__isnull=True,
                    )
                    | Q(
                        role__in=[Role.GROUPEMENT_DIRECTOR, Role.GROUPEMENT_STAFF],
                        groupement__isnull=False,
                        establishment__isnull=True,
                        region__isnull=True,
                        departement__isnull=True,
                    )
                    | Q(
                        role=Role.ESTABLISHMENT_DIRECTOR,
                        establishment__isnull=False,
                        groupement__isnull=True,
                        region__isnull=True,
                        departement__isnull=True,
                    )
                    | Q(
                        role=Role.ARS_REVIEWER,
                        region__isnull=False,
                        groupement__isnull=True,
                        establishment__isnull=True,
                        departement__isnull=True,
                    )
                    | Q(
                        role=Role.DEPARTEMENT_READER,
                        departement__isnull=False,
                        groupement__isnull=True,
                        establishment__isnull=True,
                        region__isnull=True,
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "groupement", "establishment", "region", "departement"],
                condition=Q(revoked_at__isnull=True),
                nulls_distinct=False,
                name="role_assignment_active_unique",
                violation_error_message="Cet utilisateur a déjà ce rôle sur cet objet.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.scope_object or 'plateforme'}"

    @property
    def scope_object(self):
        return self.groupement or self.establishment or self.region or self.departement


class UserSession(models.Model):
    """The sessions a user opened, so that disabling the account can end every one of them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    opened_at = models.DateTimeField(default=timezone.now)
    user_agent = models.CharField("navigateur", max_length=300, blank=True)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)

    class Meta:
        verbose_name = "session ouverte"
        verbose_name_plural = "sessions ouvertes"

    def __str__(self) -> str:
        return f"{self.user} — {self.opened_at}"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> "InvitationQuerySet":
        """Neither accepted nor cancelled (possibly expired: it may still be sent again)."""
        return self.filter(accepted_at__isnull=True, cancelled_at__isnull=True)

    def pending(self, now=None) -> "InvitationQuerySet":
        """Open and not expired: the link still works."""
        return self.open().filter(expires_at__gt=now or timezone.now())


@pghistory.track(exclude=["token_hash"])
class Invitation(models.Model):
    """An invitation by e-mail to a role on one object (accounts.invitations says who may send it).

    The link carries a random token; only its SHA-256 is stored, so the database cannot rebuild a link.
    Sending it again makes a new token (the old link stops working). It ends accepted or cancelled.
    ``groupement`` is the groupement the invitation belongs to (the staff's, or the groupement of the
    member establishment); the role's object is in the field named by the role's scope.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("adresse électronique")
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    role = models.CharField("rôle", max_length=30, choices=Role.choices)
    groupement = models.ForeignKey(
        "members.Groupement", verbose_name="groupement", null=True, blank=True, on_delete=models.PROTECT,
        related_name="invitations",
    )  # fmt: skip
    establishment = models.ForeignKey(
        "members.Establishment", verbose_name="établissement", null=True, blank=True, on_delete=models.PROTECT
    )
    region = models.ForeignKey(
        "members.Region", verbose_name="région", null=True, blank=True, on_delete=models.PROTECT
    )
    departement = models.ForeignKey(
        "members.Departement", verbose_name="département", null=True, blank=True, on_delete=models.PROTECT
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    expires_at = models.DateTimeField("valable jusqu'au")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="invité par", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    sent_count = models.PositiveSmallIntegerField("envois", default=1)
    last_sent_at = models.DateTimeField("dernier envoi", default=timezone.now)
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="acceptée par", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    cancelled_at = models.DateTimeField("annulée le", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="annulée par", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "invitation"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["groupement", "-created_at"], name="invitation_groupement")]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "role", "groupement", "establishment", "region", "departement"],
                condition=Q(accepted_at__isnull=True, cancelled_at__isnull=True),
                nulls_distinct=False,
                name="invitation_open_unique",
                violation_error_message="Une invitation à ce rôle est déjà en cours pour cette adresse.",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="invitation_accepted_or_cancelled",
                violation_error_message="Une invitation est acceptée ou annulée, pas les deux.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()} — {self.scope_object}"

    @property
    def scope_object(self):
        field = ROLE_SPECS[Role(self.role)].scope
        return getattr(self, field) if field else None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None
