"""Who the establishments are, which groupements exist, and who is a member of which, when.

Membership history is never overwritten: a ``Membership`` row is one period of belonging (from
admission to leaving) and its ``MembershipTerms`` rows are the dated states of its voting rights and
contribution share as the convention constitutive sets them.
"""

import datetime
import uuid

import pghistory
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Count, F, Func, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.models import BackgroundJob, TimeStampedModel
from core.validators import validate_finess, validate_siren, validate_siret
from members.enums import (
    Decision,
    DerogationGround,
    EligibilityCategory,
    GroupementKind,
    GroupementStatus,
    LeaveReason,
    MembershipCategory,
    Opinion,
)


class DateRange(Func):
    """``daterange(start, end, '[)')``: a period that includes its first day and excludes its last."""

    function = "DATERANGE"
    output_field = DateRangeField()


class Region(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)

    class Meta:
        verbose_name = "région"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Departement(models.Model):
    code = models.CharField("code INSEE", max_length=3, primary_key=True)
    name = models.CharField("nom", max_length=100)
    region = models.ForeignKey(Region, verbose_name="région", on_delete=models.PROTECT, related_name="departements")

    class Meta:
        verbose_name = "département"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class GroupementQuerySet(models.QuerySet["Groupement"]):
    def active(self) -> "GroupementQuerySet":
        return self.exclude(status=GroupementStatus.DISSOLVED)

    def with_member_count(self, day: datetime.date | None = None) -> "GroupementQuerySet":
        """Annotate ``member_count``: memberships active on ``day``, partners left out
        (``MembershipQuerySet.members``). One subquery, whatever the number of groupements."""
        members = (
            Membership.objects.filter(groupement=OuterRef("pk"))
            .active_on(day or timezone.localdate())
            .members()
            .order_by()
            .values("groupement")
            .annotate(n=Count("id"))
            .values("n")
        )
        return self.annotate(member_count=Coalesce(Subquery(members), 0))


@pghistory.track()
class Groupement(TimeStampedModel):
    kind = models.CharField("type", max_length=5, choices=GroupementKind.choices, default=GroupementKind.GTSMS)
    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant court", max_length=80, unique=True)
    finess_ej = models.CharField("FINESS juridique", max_length=9, blank=True, validators=[validate_finess])
    siren = models.CharField("SIREN", max_length=9, blank=True, validators=[validate_siren])
    seat_address = models.CharField("adresse du siège", max_length=200, blank=True)
    seat_postal_code = models.CharField("code postal du siège", max_length=5, blank=True)
    seat_city = models.CharField("commune du siège", max_length=100, blank=True)
    region = models.ForeignKey(Region, verbose_name="région", on_delete=models.PROTECT, related_name="groupements")
    departements = models.ManyToManyField(Departement, verbose_name="départements", related_name="groupements")
    status = models.CharField(
        "statut", max_length=12, choices=GroupementStatus.choices, default=GroupementStatus.CONSTITUTING
    )
    # Legal personality is acquired on transmission of the convention to the DG ARS, then the
    # convention is published in the recueil des actes administratifs (decree.md §2, rules 2.3–2.4).
    convention_transmitted_on = models.DateField("convention transmise au DG ARS le", null=True, blank=True)
    publication_reference = models.CharField("référence de publication (RAA)", max_length=200, blank=True)
    published_on = models.DateField("publiée le", null=True, blank=True)
    dissolved_on = models.DateField("dissous le", null=True, blank=True)

    objects = GroupementQuerySet.as_manager()

    class Meta:
        verbose_name = "groupement"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(published_on__isnull=True) | Q(convention_transmitted_on__isnull=False),
                name="groupement_published_after_transmitted",
                violation_error_message=(
                    "La convention ne peut être publiée qu'après sa transmission au DG ARS : "
                    "indiquez la date de transmission."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GroupementUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Groupement, on_delete=models.CASCADE)


class GroupementGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Groupement, on_delete=models.CASCADE)


class FinessAddressMixin(models.Model):
    """The address as FINESS writes it, column by column."""

    street_number = models.CharField("numéro de voie", max_length=10, blank=True)
    street_type = models.CharField("type de voie", max_length=10, blank=True)
    street_name = models.CharField("voie", max_length=100, blank=True)
    street_complement = models.CharField("complément de voie", max_length=10, blank=True)
    locality = models.CharField("lieu-dit ou boîte postale", max_length=100, blank=True)
    distribution_complement = models.CharField("complément de distribution", max_length=100, blank=True)
    commune_code = models.CharField("code commune", max_length=5, blank=True)
    routing_line = models.CharField("ligne d'acheminement", max_length=100, blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    fax = models.CharField("télécopie", max_length=20, blank=True)

    class Meta:
        abstract = True

    @property
    def address_line(self) -> str:
        parts = [self.street_number, self.street_complement, self.street_type, self.street_name]
        street = " ".join(p for p in parts if p)
        return ", ".join(p for p in [street, self.locality] if p)

    @property
    def postal_code(self) -> str:
        head = self.routing_line[:5]
        return head if head.isdigit() else ""

    @property
    def city(self) -> str:
        return self.routing_line[6:] if self.postal_code else self.routing_line


@pghistory.track()
class LegalEntity(FinessAddressMixin, TimeStampedModel):
    """A FINESS juridique (EJ): the legal entity that manages one or more establishments."""

    finess = models.CharField("FINESS juridique", max_length=9, unique=True, validators=[validate_finess])
    name = models.CharField("raison sociale", max_length=200)
    long_name = models.CharField("raison sociale longue", max_length=300, blank=True)
    complement = models.CharField("complément de raison sociale", max_length=200, blank=True)
    departement_code = models.CharField("département (FINESS)", max_length=3, blank=True, db_index=True)
    statut_code = models.CharField("statut juridique", max_length=3, blank=True, db_index=True)
    statut_label = models.CharField("libellé du statut juridique", max_length=200, blank=True)
    category_code = models.CharField("catégorie d'entité juridique", max_length=4, blank=True)
    category_label = models.CharField("libellé de la catégorie", max_length=200, blank=True)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    ape_code = models.CharField("code APE", max_length=6, blank=True)
    created_on = models.DateField("date de création", null=True, blank=True)
    finess_updated_on = models.DateField("mise à jour FINESS", null=True, blank=True)
    closed = models.BooleanField("fermée", default=False)
    closed_on = models.DateField("fermée le", null=True, blank=True)

    class Meta:
        verbose_name = "entité juridique"
        verbose_name_plural = "entités juridiques"
        ordering = ["name"]
        # Name search (``icontains`` is ``UPPER(name) LIKE``) reads trigram indexes, never the whole table;
        # the FINESS prefix search uses the ``_like`` index Django adds to ``finess``; lists sort on ``name``.
        indexes = [
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="legalentity_name_trgm"),
            GinIndex(OpClass(Upper("long_name"), name="gin_trgm_ops"), name="legalentity_long_name_trgm"),
            models.Index(fields=["name", "id"], name="legalentity_name_order"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.finess})"


def establishment_open_q(day: datetime.date | None = None) -> Q:
    """The condition of ``EstablishmentQuerySet.open_on``, for a query that combines it."""
    return Q(closed=False) | Q(closed_on__gt=day or timezone.localdate())


class EstablishmentQuerySet(models.QuerySet["Establishment"]):
    def open_on(self, day: datetime.date | None = None) -> "EstablishmentQuerySet":
        """Establishments open on ``day``: not closed, or closed after that day.

        FINESS marks a site ``closed`` with ``closed_on``, its first day closed (the closing date, or
        the extract date when a site disappears from the stock, members.finess.importer). A site
        closed without a date is closed on every day. The one rule of every establishment count
        (dashboard, members list, register, ARS coverage).
        """
        return self.filter(establishment_open_q(day))


@pghistory.track()
class Establishment(FinessAddressMixin, TimeStampedModel):
    """A FINESS établissement (ET): one site, managed by one legal entity."""

    finess = models.CharField("FINESS établissement", max_length=9, unique=True, validators=[validate_finess])
    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name="entité juridique", on_delete=models.PROTECT, related_name="establishments"
    )
    name = models.CharField("raison sociale", max_length=200)
    long_name = models.CharField("raison sociale longue", max_length=300, blank=True)
    complement = models.CharField("complément de raison sociale", max_length=200, blank=True)
    departement = models.ForeignKey(
        Departement, verbose_name="département", null=True, blank=True, on_delete=models.PROTECT,
        related_name="establishments",
    )  # fmt: skip
    category_code = models.CharField("catégorie", max_length=4, blank=True, db_index=True)
    category_label = models.CharField("libellé de la catégorie", max_length=200, blank=True)
    aggregate_code = models.CharField("agrégat de catégorie", max_length=4, blank=True)
    aggregate_label = models.CharField("libellé de l'agrégat", max_length=200, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[validate_siret])
    ape_code = models.CharField("code APE", max_length=6, blank=True)
    mft_code = models.CharField("mode de fixation des tarifs", max_length=3, blank=True)
    mft_label = models.CharField("libellé du mode de fixation des tarifs", max_length=200, blank=True)
    sph_code = models.CharField("code SPH", max_length=3, blank=True)
    sph_label = models.CharField("libellé SPH", max_length=200, blank=True)
    opened_on = models.DateField("date d'ouverture", null=True, blank=True)
    authorized_on = models.DateField("date d'autorisation", null=True, blank=True)
    finess_updated_on = models.DateField("mise à jour FINESS", null=True, blank=True)
    coord_x = models.DecimalField("coordonnée X", max_digits=12, decimal_places=2, null=True, blank=True)
    coord_y = models.DecimalField("coordonnée Y", max_digits=12, decimal_places=2, null=True, blank=True)
    coord_source = models.CharField("source des coordonnées", max_length=200, blank=True)
    latitude = models.DecimalField("latitude", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("longitude", max_digits=9, decimal_places=6, null=True, blank=True)
    closed = models.BooleanField("fermé", default=False, db_index=True)
    closed_on = models.DateField("fermé le", null=True, blank=True)
    # Computed from the EJ statut and the ET category by members.eligibility, stored so that lists
    # and the ARS coverage can filter on it; recomputed at every FINESS import.
    eligibility = models.CharField(
        "catégorie d'adhésion", max_length=12, choices=EligibilityCategory.choices, blank=True, db_index=True
    )
    eligibility_rule = models.CharField("règle appliquée", max_length=60, blank=True)

    objects = EstablishmentQuerySet.as_manager()

    class Meta:
        verbose_name = "établissement"
        ordering = ["name"]
        indexes = [  # as for LegalEntity: name search, then sorting by name
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="establishment_name_trgm"),
            models.Index(fields=["name", "id"], name="establishment_name_order"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.finess})"

    def is_open_on(self, day: datetime.date) -> bool:
        """The rule of ``EstablishmentQuerySet.open_on``, for a row already loaded."""
        return not self.closed or (self.closed_on is not None and self.closed_on > day)


class EstablishmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Establishment, on_delete=models.CASCADE)


class EstablishmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Establishment, on_delete=models.CASCADE)


def membership_active_q(day: datetime.date, prefix: str = "") -> Q:
    """A membership is active from its admission until the day before it left: the period ``[admitted_on, left_on)``.

    ``prefix`` names the relation when filtering from another model (e.g. ``"memberships__"``).
    """
    return Q(**{f"{prefix}admitted_on__lte": day}) & (
        Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": day})
    )


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active_on(self, day: datetime.date | None = None) -> "MembershipQuerySet":
        return self.filter(membership_active_q(day or timezone.localdate()))

    def members(self) -> "MembershipQuerySet":
        """Members proper (obligatoires and facultatifs), without the partners by convention, who are
        not members (L. 312-7 CASF): the one rule of every member count."""
        return self.exclude(category=MembershipCategory.PARTNER)

    def gtsms_members(self) -> "MembershipQuerySet":
        """Memberships of a GTSMS as a member (not a partner): those the one-GTSMS-at-a-time rule counts
        (L. 312-7-2 I CASF, database constraint ``membership_one_gtsms_at_a_time``)."""
        return self.filter(groupement_kind=GroupementKind.GTSMS).members()

    def in_other_gtsms(self, groupement: "Groupement | int") -> "MembershipQuerySet":
        """Memberships as a member of a GTSMS other than ``groupement``: what forbids an admission
        (L. 312-7-2 I CASF)."""
        return self.gtsms_members().exclude(groupement_id=getattr(groupement, "pk", groupement))


@pghistory.track()
class Membership(TimeStampedModel):
    """One period during which a legal entity belongs to a groupement (admission → leaving)."""

    groupement = models.ForeignKey(
        Groupement, verbose_name="groupement", on_delete=models.PROTECT, related_name="memberships"
    )
    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name="entité juridique", on_delete=models.PROTECT, related_name="memberships"
    )
    # Copied from the groupement so that the database can hold the one-GTSMS-at-a-time rule.
    groupement_kind = models.CharField("type de groupement", max_length=5, choices=GroupementKind.choices)
    category = models.CharField("catégorie", max_length=10, choices=MembershipCategory.choices)
    founding = models.BooleanField("membre fondateur", default=False)
    admitted_on = models.DateField("date d'admission")
    admission_act = models.CharField("acte d'admission", max_length=300)
    left_on = models.DateField("date de sortie", null=True, blank=True)
    leave_reason = models.CharField("motif de sortie", max_length=12, choices=LeaveReason.choices, blank=True)
    leave_act = models.CharField("acte de sortie", max_length=300, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = "adhésion"
        ordering = ["groupement", "admitted_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gt=F("admitted_on")),
                name="membership_left_after_admitted",
                violation_error_message="La date de sortie doit être postérieure à la date d'admission.",
            ),
            models.CheckConstraint(
                condition=(Q(left_on__isnull=True) & Q(leave_reason="") & Q(leave_act=""))
                | (Q(left_on__isnull=False) & ~Q(leave_reason="") & ~Q(leave_act="")),
                name="membership_leave_fields_together",
                violation_error_message=(
                    "Une sortie s'enregistre avec sa date, son motif et son acte, tous trois renseignés."
                ),
            ),
            # L. 312-7-2 I CASF: a legal entity belongs to one GTSMS at a time (partners excepted).
            ExclusionConstraint(
                name="membership_one_gtsms_at_a_time",
                expressions=[
                    ("legal_entity", RangeOperators.EQUAL),
                    (DateRange("admitted_on", "left_on"), RangeOperators.OVERLAPS),
                ],
                condition=Q(groupement_kind=GroupementKind.GTSMS) & ~Q(category=MembershipCategory.PARTNER),
                violation_error_message="Cette entité juridique est déjà membre d'un autre GTSMS sur cette période.",
            ),
            # The same entity cannot have two overlapping periods in the same groupement.
            ExclusionConstraint(
                name="membership_no_overlap_in_groupement",
                expressions=[
                    ("groupement", RangeOperators.EQUAL),
                    ("legal_entity", RangeOperators.EQUAL),
                    (DateRange("admitted_on", "left_on"), RangeOperators.OVERLAPS),
                ],
                violation_error_message="Cette entité juridique est déjà rattachée à ce groupement sur cette période.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity.name} — {self.groupement.name}"

    def is_active_on(self, day: datetime.date) -> bool:
        """The rule of ``membership_active_q``, for a row already loaded."""
        return self.admitted_on <= day and (self.left_on is None or self.left_on > day)


@pghistory.track()
class MembershipTerms(TimeStampedModel):
    """The voting rights and contribution share of a member from a date, as the convention sets them.

    Rights are proportional to apports or to the contribution to running costs (R. 312-194-12 CASF);
    contributions are revised each year with the budget (R. 312-194-7 8°).
    """

    membership = models.ForeignKey(Membership, verbose_name="adhésion", on_delete=models.PROTECT, related_name="terms")
    valid_from = models.DateField("applicable à partir du")
    voting_rights = models.DecimalField("droits de vote", max_digits=9, decimal_places=2)
    contribution_share = models.DecimalField("part des charges (%)", max_digits=7, decimal_places=4)
    act = models.CharField("acte", max_length=300)

    class Meta:
        verbose_name = "conditions d'adhésion"
        verbose_name_plural = "conditions d'adhésion"
        ordering = ["membership", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "valid_from"],
                name="membership_terms_one_per_day",
                violation_error_message="Des conditions d'adhésion existent déjà à cette date pour ce membre.",
            ),
            models.CheckConstraint(
                condition=Q(voting_rights__gte=0),
                name="membership_terms_rights_positive",
                violation_error_message="Les droits de vote ne peuvent pas être négatifs.",
            ),
            models.CheckConstraint(
                condition=Q(contribution_share__gte=0) & Q(contribution_share__lte=100),
                name="membership_terms_share_percent",
                violation_error_message="La part des charges est un pourcentage compris entre 0 et 100.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership} à partir du {self.valid_from}"


class DerogationQuerySet(models.QuerySet["Derogation"]):
    def granted_on(self, day: datetime.date) -> "DerogationQuerySet":
        """Dérogations granted by an explicit decision of the DG ARS known on ``day`` (R. 312-194-32
        CASF): the SQL form of ``members.eligibility.derogation_status`` returning ``GRANTED``."""
        return self.filter(decision=Decision.GRANTED, decision_on__isnull=False, decision_on__lte=day)


@pghistory.track()
class Derogation(TimeStampedModel):
    """A request by a mandatory establishment not to join a GTSMS or GHT (R. 312-194-32 CASF).

    The request goes to the DG ARS by any means giving a date certaine; the PCD has one month for
    an opinion; silence of the DG ARS for two months after receipt means refusal. The status is
    computed from these dates by ``members.eligibility.derogation_status``.
    """

    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name="entité juridique", on_delete=models.PROTECT, related_name="derogations"
    )
    ground = models.CharField("motif", max_length=20, choices=DerogationGround.choices)
    received_on = models.DateField("reçue par le DG ARS le")
    pcd_referred_on = models.DateField("transmise au président du conseil départemental le", null=True, blank=True)
    pcd_opinion = models.CharField("avis du PCD", max_length=12, choices=Opinion.choices, blank=True)
    pcd_opinion_on = models.DateField("avis rendu le", null=True, blank=True)
    decision = models.CharField("décision du DG ARS", max_length=8, choices=Decision.choices, blank=True)
    decision_on = models.DateField("décision le", null=True, blank=True)
    reference = models.CharField("référence", max_length=200, blank=True)

    objects = DerogationQuerySet.as_manager()

    class Meta:
        verbose_name = "dérogation"
        ordering = ["-received_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="") | Q(decision_on__isnull=False),
                name="derogation_decision_dated",
                violation_error_message="Une décision du DG ARS doit être datée.",
            ),
            models.CheckConstraint(
                condition=Q(decision_on__isnull=True) | Q(decision_on__gte=F("received_on")),
                name="derogation_decision_after_receipt",
                violation_error_message="La décision ne peut pas précéder la réception de la demande.",
            ),
        ]

    def __str__(self) -> str:
        return f"Dérogation — {self.legal_entity.name}"


@pghistory.track()
class GhtMembership(TimeStampedModel):
    """Membership of a GHT (L. 6132-1 CSP), which meets the obligation too. Not in FINESS: recorded by hand."""

    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name="entité juridique", on_delete=models.PROTECT, related_name="ght_memberships"
    )
    ght_name = models.CharField("nom du GHT", max_length=200)
    since = models.DateField("depuis le")
    until = models.DateField(
        "jusqu'au",
        null=True,
        blank=True,
        help_text="Dernier jour d'appartenance au GHT (inclus). Vide : toujours membre.",
    )
    source = models.CharField("source", max_length=300, blank=True)

    class Meta:
        verbose_name = "appartenance à un GHT"
        verbose_name_plural = "appartenances à un GHT"
        ordering = ["legal_entity", "-since"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gt=F("since")),
                name="ght_membership_dates_in_order",
                violation_error_message="La date de fin doit être postérieure à la date de début.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity.name} — {self.ght_name}"


class FinessImportRun(BackgroundJob):
    """One upload of FINESS extracts by a platform admin, imported in the background (members.finess).

    ``files`` lists what was uploaded, in upload order: ``{"name", "storage_name", "sha256", "size"}``
    (the storage name is chosen by the server, the name is the user's file name, for display only).
    ``result`` is ``ImportResult.as_dict()`` once done.
    """

    public_id = models.UUIDField("identifiant public", default=uuid.uuid4, unique=True, editable=False)
    files = models.JSONField("fichiers", default=list)
    result = models.JSONField("résultat", default=dict, blank=True)

    class Meta:
        verbose_name = "import FINESS"
        verbose_name_plural = "imports FINESS"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        names = ", ".join(f.get("name", "") for f in self.files)
        return f"Import FINESS du {timezone.localtime(self.created_at):%d/%m/%Y %H:%M} ({names})"
