"""Convention constitutive (versions, annexes), assemblées générales (meetings, attendance, deliberations,
votes), and the director's nomination file (GTSMS) or the administrateur's mandate (GCSMS).

Dated facts are never overwritten: a convention change is a new version; a closed meeting is frozen
(``governance.services``); droits sociaux are read from ``members.MembershipTerms`` on the meeting's date
and copied on the attendance and vote rows, so a later change of rights never alters an old outcome.
"""

import uuid

import pghistory
from django.db import models
from django.db.models import F, Q

from core.models import TimeStampedModel
from governance import rules
from governance.enums import (
    AnnexKind,
    ArsDecision,
    AttendanceStatus,
    BudgetFramework,
    Chair,
    DeliberationKind,
    MajorityRule,
    MeetingStatus,
    NominationDecision,
    OrdinaryMajority,
    Outcome,
    Requester,
    RightsBasis,
    VersionKind,
    VoteChoice,
)
from members.enums import MembershipCategory, Opinion


def signed_file_name(instance, filename: str) -> str:
    """A generated name: never the uploader's file name (which stays in ``signed_file_original``)."""
    return f"governance/{instance.groupement_id}/convention/{uuid.uuid4().hex}.pdf"


def annex_file_name(instance, filename: str) -> str:
    return f"governance/annexes/{uuid.uuid4().hex}.pdf"


class ConventionVersionQuerySet(models.QuerySet["ConventionVersion"]):
    def in_force_on(self, day) -> "ConventionVersion | None":
        """The version in force on ``day``: the latest one effective on or before it."""
        return self.filter(effective_on__lte=day).order_by("-effective_on", "-number").first()


@pghistory.track()
class ConventionVersion(TimeStampedModel):
    """The initial convention constitutive or one avenant, with the settings the software reads from it."""

    groupement = models.ForeignKey(
        "members.Groupement", verbose_name="groupement", on_delete=models.PROTECT, related_name="convention_versions"
    )
    number = models.PositiveSmallIntegerField("numéro")  # 0: the initial convention; 1, 2…: avenants
    kind = models.CharField("nature", max_length=8, choices=VersionKind.choices)
    signed_on = models.DateField("signée ou adoptée le")
    effective_on = models.DateField("en vigueur à partir du")
    adopted_by = models.ForeignKey(
        "Deliberation",
        verbose_name="délibération qui l'adopte",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="convention_versions",
    )
    adoption_act = models.CharField("acte d'adoption", max_length=300)
    changes = models.TextField("ce qui change", blank=True)
    # Structured content (R. 312-194-7 CASF), where the software uses it.
    name = models.CharField("dénomination", max_length=200)
    purpose = models.TextField("objet", blank=True)
    seat = models.CharField("siège", max_length=300, blank=True)
    duration = models.CharField("durée", max_length=100, blank=True, help_text="Par exemple : indéterminée, 10 ans.")
    contributions_rule = models.TextField("contributions aux charges", blank=True)
    pooled_functions = models.TextField("fonctions mutualisées", blank=True)
    budget_framework = models.CharField(
        "cadre budgétaire (R. 312-194-7 14°)",
        max_length=8,
        choices=BudgetFramework.choices,
        default=BudgetFramework.BUDGETS,
    )
    staff_terms = models.TextField("personnels", blank=True)
    membership_terms = models.TextField("admission, retrait et exclusion", blank=True)
    dissolution_terms = models.TextField("dissolution", blank=True)
    # Governance settings the convention may change (each with its legal default).
    convocation_days = models.PositiveSmallIntegerField(
        "délai de convocation (jours)",
        default=rules.DEFAULT_CONVOCATION_DAYS,
        help_text="Défaut légal : 15 jours (art. R. 312-194-20 CASF).",
    )
    urgent_convocation_hours = models.PositiveSmallIntegerField(
        "délai de convocation en urgence (heures)",
        default=rules.DEFAULT_URGENT_CONVOCATION_HOURS,
        help_text="Défaut légal : 48 heures (art. R. 312-194-20 CASF).",
    )
    ordinary_majority = models.CharField(
        "majorité des décisions ordinaires",
        max_length=20,
        choices=OrdinaryMajority.choices,
        default=OrdinaryMajority.HALF_PRESENT,
        help_text="Défaut légal : majorité des voix des membres présents ou représentés (art. R. 312-194-22 CASF).",
    )
    chair = models.CharField(
        "présidence de l'assemblée",
        max_length=16,
        choices=Chair.choices,
        default=Chair.ADMINISTRATOR,
        help_text="Défaut légal : l'administrateur, pour un GTSMS son directeur (art. R. 312-194-20 CASF).",
    )
    rights_basis = models.CharField(
        "fixation des droits sociaux",
        max_length=14,
        choices=RightsBasis.choices,
        default=RightsBasis.CONTRIBUTIONS,
        help_text="Art. R. 312-194-12 CASF : apports ou contributions aux charges.",
    )
    # The signed file (PDF), stored through Django's storage under a generated name.
    signed_file = models.FileField("convention signée (PDF)", upload_to=signed_file_name, blank=True)
    signed_file_original = models.CharField("nom du fichier déposé", max_length=200, blank=True)
    signed_file_sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    # Transmission to the DG ARS (gives legal personality), ARS decision where one is given, publication.
    transmitted_on = models.DateField("transmise au DG ARS le", null=True, blank=True)
    ars_decision = models.CharField("décision du DG ARS", max_length=8, choices=ArsDecision.choices, blank=True)
    ars_decision_on = models.DateField("décision du DG ARS le", null=True, blank=True)
    ars_decision_reference = models.CharField("référence de la décision", max_length=200, blank=True)
    published_on = models.DateField("publiée au RAA le", null=True, blank=True)
    publication_reference = models.CharField("référence de publication (RAA)", max_length=200, blank=True)

    objects = ConventionVersionQuerySet.as_manager()

    class Meta:
        verbose_name = "version de la convention constitutive"
        verbose_name_plural = "versions de la convention constitutive"
        ordering = ["groupement", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["groupement", "number"],
                name="convention_version_number_unique",
                violation_error_message="Ce numéro de version existe déjà pour ce groupement.",
            ),
            models.UniqueConstraint(
                fields=["groupement"],
                condition=Q(kind=VersionKind.INITIAL),
                name="convention_one_initial",
                violation_error_message="Le groupement a déjà une convention initiale.",
            ),
            models.CheckConstraint(
                condition=Q(published_on__isnull=True) | Q(transmitted_on__isnull=False),
                name="convention_published_after_transmitted",
                violation_error_message="La publication suit la transmission au DG ARS : indiquez d'abord sa date.",
            ),
            models.CheckConstraint(
                condition=Q(ars_decision="") | Q(ars_decision_on__isnull=False),
                name="convention_ars_decision_dated",
                violation_error_message="Une décision du DG ARS doit être datée.",
            ),
            models.CheckConstraint(
                condition=Q(convocation_days__gte=1) & Q(urgent_convocation_hours__gte=1),
                name="convention_delays_positive",
                violation_error_message="Les délais de convocation doivent être d'au moins un jour et une heure.",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == VersionKind.INITIAL:
            return "Convention constitutive initiale"
        return f"Avenant n° {self.number}"


@pghistory.track()
class ConventionMember(TimeStampedModel):
    """A member listed by a convention version, with its droits sociaux (the members annex, R. 312-194-7 2° and 6°)."""

    version = models.ForeignKey(
        ConventionVersion, verbose_name="version", on_delete=models.CASCADE, related_name="members"
    )
    legal_entity = models.ForeignKey("members.LegalEntity", verbose_name="entité juridique", on_delete=models.PROTECT)
    category = models.CharField("catégorie", max_length=10, choices=MembershipCategory.choices)
    voting_rights = models.DecimalField("droits sociaux", max_digits=9, decimal_places=2)
    contribution_share = models.DecimalField("part des charges (%)", max_digits=7, decimal_places=4)

    class Meta:
        verbose_name = "membre listé par la convention"
        verbose_name_plural = "membres listés par la convention"
        ordering = ["version", "legal_entity__name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "legal_entity"], name="convention_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity} — {self.version}"


@pghistory.track()
class ConventionAnnex(TimeStampedModel):
    """An annex of a convention version: the projet d'accompagnement partagé (R. 312-194-28), the members list…"""

    version = models.ForeignKey(
        ConventionVersion, verbose_name="version", on_delete=models.CASCADE, related_name="annexes"
    )
    kind = models.CharField("nature", max_length=12, choices=AnnexKind.choices)
    title = models.CharField("titre", max_length=200)
    file = models.FileField("fichier (PDF)", upload_to=annex_file_name)
    file_original = models.CharField("nom du fichier déposé", max_length=200, blank=True)
    file_sha256 = models.CharField("empreinte SHA-256", max_length=64)

    class Meta:
        verbose_name = "annexe de la convention"
        verbose_name_plural = "annexes de la convention"
        ordering = ["version", "kind", "id"]

    def __str__(self) -> str:
        return self.title


@pghistory.track()
class Meeting(TimeStampedModel):
    """One assemblée générale (R. 312-194-19 to -22 CASF): a first call, or the second call of a first one."""

    groupement = models.ForeignKey(
        "members.Groupement", verbose_name="groupement", on_delete=models.PROTECT, related_name="meetings"
    )
    scheduled_at = models.DateTimeField("date et heure", db_index=True)
    place = models.CharField("lieu", max_length=300, blank=True)
    video_link = models.URLField("lien de visioconférence", blank=True)
    urgent = models.BooleanField("urgence", default=False)
    first_call = models.OneToOneField(
        "self",
        verbose_name="première convocation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="second_call",
    )
    requested_by = models.CharField(
        "demandée par", max_length=14, choices=Requester.choices, default=Requester.ADMINISTRATOR
    )
    requesting_members = models.ManyToManyField(
        "members.Membership", verbose_name="membres demandeurs", blank=True, related_name="meeting_requests"
    )
    status = models.CharField("état", max_length=8, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    convened_at = models.DateTimeField("convocation envoyée le", null=True, blank=True)
    member_count = models.PositiveSmallIntegerField("nombre de membres à la date de la séance", default=0)
    quorum_total = models.DecimalField(
        "droits de tous les membres", max_digits=11, decimal_places=2, null=True, blank=True
    )
    quorum_present = models.DecimalField(
        "droits présents ou représentés", max_digits=11, decimal_places=2, null=True, blank=True
    )
    quorum_reached = models.BooleanField("quorum atteint", null=True, blank=True)
    closed_at = models.DateTimeField("close le", null=True, blank=True)

    class Meta:
        verbose_name = "assemblée générale"
        verbose_name_plural = "assemblées générales"
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["groupement", "-scheduled_at"], name="meeting_groupement_date")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(place="") | ~Q(video_link=""),
                name="meeting_place_or_link",
                violation_error_message="Indiquez le lieu de la séance ou son lien de visioconférence.",
            ),
        ]

    def __str__(self) -> str:
        from django.utils import timezone

        from core.formatting import format_date

        call = " (seconde convocation)" if self.first_call_id else ""
        return f"Assemblée générale du {format_date(timezone.localtime(self.scheduled_at).date())}{call}"

    @property
    def is_second_call(self) -> bool:
        return self.first_call_id is not None

    @property
    def is_closed(self) -> bool:
        return self.status == MeetingStatus.CLOSED


@pghistory.track()
class Attendance(TimeStampedModel):
    """A member at a meeting: present, represented (by which member) or absent, with its rights on the
    meeting's date."""

    meeting = models.ForeignKey(Meeting, verbose_name="séance", on_delete=models.CASCADE, related_name="attendances")
    membership = models.ForeignKey(
        "members.Membership", verbose_name="membre", on_delete=models.PROTECT, related_name="attendances"
    )
    status = models.CharField(
        "présence", max_length=12, choices=AttendanceStatus.choices, default=AttendanceStatus.ABSENT
    )
    proxy_holder = models.ForeignKey(
        "members.Membership",
        verbose_name="représenté par",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proxies_held",
    )
    representative_name = models.CharField("nom du représentant", max_length=200, blank=True)
    voting_rights = models.DecimalField("droits sociaux à la date de la séance", max_digits=9, decimal_places=2)
    proxy_given_by_member = models.BooleanField("procuration donnée depuis le portail", default=False)

    class Meta:
        verbose_name = "présence"
        ordering = ["meeting", "membership__legal_entity__name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "membership"], name="attendance_once"),
            # R. 312-194-20: a member holds at most one proxy, whatever the convention says.
            models.UniqueConstraint(
                fields=["meeting", "proxy_holder"],
                condition=Q(proxy_holder__isnull=False),
                name="attendance_one_proxy_per_holder",
                violation_error_message="Un membre ne peut détenir qu'une procuration (art. R. 312-194-20 CASF).",
            ),
            models.CheckConstraint(
                condition=(Q(status=AttendanceStatus.REPRESENTED) & Q(proxy_holder__isnull=False))
                | (~Q(status=AttendanceStatus.REPRESENTED) & Q(proxy_holder__isnull=True)),
                name="attendance_proxy_iff_represented",
                violation_error_message="Un membre représenté l'est par un autre membre, et seulement lui.",
            ),
            models.CheckConstraint(
                condition=~Q(proxy_holder=F("membership")),
                name="attendance_not_own_proxy",
                violation_error_message="Un membre ne peut pas se représenter lui-même.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership.legal_entity.name} — {self.get_status_display()}"


@pghistory.track()
class Deliberation(TimeStampedModel):
    """One item of the agenda, its recorded votes' outcome as computed by ``services.deliberation_outcome_compute``."""

    meeting = models.ForeignKey(Meeting, verbose_name="séance", on_delete=models.PROTECT, related_name="deliberations")
    order = models.PositiveSmallIntegerField("rang")
    kind = models.CharField("nature", max_length=24, choices=DeliberationKind.choices)
    title = models.CharField("intitulé", max_length=300)
    description = models.TextField("exposé", blank=True)
    # What the effect needs, by kind (admission, exclusion, withdrawal, director proposal, convention change).
    concerned_membership = models.ForeignKey(
        "members.Membership",
        verbose_name="membre concerné",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliberations_concerning",
    )
    candidate_entity = models.ForeignKey(
        "members.LegalEntity",
        verbose_name="entité candidate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="admission_deliberations",
    )
    candidate_category = models.CharField(
        "catégorie d'adhésion", max_length=10, choices=MembershipCategory.choices, blank=True
    )
    candidate_voting_rights = models.DecimalField(
        "droits sociaux", max_digits=9, decimal_places=2, null=True, blank=True
    )
    candidate_contribution_share = models.DecimalField(
        "part des charges (%)", max_digits=7, decimal_places=4, null=True, blank=True
    )
    effective_on = models.DateField("prend effet le", null=True, blank=True)
    hearing_on = models.DateField("audition du représentant le", null=True, blank=True)
    notified_on = models.DateField("retrait notifié le", null=True, blank=True)
    director_candidate = models.CharField("candidat proposé", max_length=200, blank=True)
    # The outcome, as computed (never typed).
    outcome = models.CharField("résultat", max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    rule = models.CharField("règle appliquée", max_length=20, choices=MajorityRule.choices, blank=True)
    article = models.CharField("article", max_length=100, blank=True)
    votes_for = models.DecimalField("voix pour", max_digits=11, decimal_places=2, null=True, blank=True)
    votes_against = models.DecimalField("voix contre", max_digits=11, decimal_places=2, null=True, blank=True)
    votes_abstain = models.DecimalField("abstentions", max_digits=11, decimal_places=2, null=True, blank=True)
    votes_not_voting = models.DecimalField(
        "ne prenant pas part au vote", max_digits=11, decimal_places=2, null=True, blank=True
    )
    votes_base = models.DecimalField("voix comptées", max_digits=11, decimal_places=2, null=True, blank=True)
    outcome_label = models.CharField("résultat énoncé", max_length=300, blank=True)
    effects_applied_at = models.DateTimeField("effets appliqués le", null=True, blank=True)

    class Meta:
        verbose_name = "délibération"
        ordering = ["meeting", "order"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "order"], name="deliberation_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    @property
    def is_adopted(self) -> bool:
        return self.outcome == Outcome.ADOPTED

    @property
    def kind_article(self) -> str:
        return rules.KIND_ARTICLES.get(self.kind, "")

    @property
    def majority_label(self) -> str:
        """The majority this kind needs (R. 312-194-22 CASF); ordinary matters follow the convention."""
        if self.kind in rules.UNANIMITY_KINDS:
            return "unanimité des membres présents ou représentés (R. 312-194-22)"
        if self.kind == DeliberationKind.EXCLUSION:
            return "au moins la moitié des voix, sans le membre concerné (R. 312-194-22)"
        return "majorité ordinaire fixée par la convention, à défaut majorité des voix présentes ou représentées"


@pghistory.track()
class Vote(TimeStampedModel):
    """One member's vote on one deliberation, weighted by its droits sociaux on the meeting's date."""

    deliberation = models.ForeignKey(
        Deliberation, verbose_name="délibération", on_delete=models.CASCADE, related_name="votes"
    )
    membership = models.ForeignKey(
        "members.Membership", verbose_name="membre", on_delete=models.PROTECT, related_name="votes"
    )
    choice = models.CharField("vote", max_length=10, choices=VoteChoice.choices)
    voting_rights = models.DecimalField("droits sociaux", max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = "vote"
        ordering = ["deliberation", "membership__legal_entity__name"]
        constraints = [models.UniqueConstraint(fields=["deliberation", "membership"], name="vote_once")]

    def __str__(self) -> str:
        return f"{self.membership.legal_entity.name} : {self.get_choice_display()}"


@pghistory.track()
class DirectorNomination(TimeStampedModel):
    """The file of a GTSMS director: AG proposal → opinion of each PCD → DG ARS decision → mandate (decree.md §3.2).

    An interim director is recorded with ``interim`` and no AG proposal (the texts read say nothing of
    interim: an assumption, shown as such).
    """

    groupement = models.ForeignKey(
        "members.Groupement", verbose_name="groupement", on_delete=models.PROTECT, related_name="director_nominations"
    )
    proposal = models.OneToOneField(
        Deliberation,
        verbose_name="délibération de proposition",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="director_nomination",
    )
    interim = models.BooleanField("intérim", default=False)
    candidate_name = models.CharField("nom du candidat", max_length=200)
    d3s_corps = models.CharField("corps (D3S)", max_length=200, blank=True)
    d3s_since = models.DateField("titulaire du corps depuis le", null=True, blank=True)
    decision = models.CharField("décision du DG ARS", max_length=10, choices=NominationDecision.choices, blank=True)
    decision_on = models.DateField("décision le", null=True, blank=True)
    decision_reference = models.CharField("référence de l'arrêté", max_length=200, blank=True)
    mandate_start = models.DateField("début du mandat", null=True, blank=True)
    mandate_end = models.DateField("fin du mandat", null=True, blank=True)

    class Meta:
        verbose_name = "dossier de nomination du directeur"
        verbose_name_plural = "dossiers de nomination du directeur"
        ordering = ["groupement", "-created_at"]
        constraints = [
            # One current director at a time: one open mandate per groupement.
            models.UniqueConstraint(
                fields=["groupement"],
                condition=Q(mandate_start__isnull=False) & Q(mandate_end__isnull=True),
                name="director_one_current",
                violation_error_message="Le groupement a déjà un directeur en fonctions : terminez son mandat.",
            ),
            models.CheckConstraint(
                condition=Q(mandate_end__isnull=True) | Q(mandate_end__gt=F("mandate_start")),
                name="director_mandate_end_after_start",
                violation_error_message="La fin du mandat doit suivre son début.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate_name} ({'intérim' if self.interim else 'nomination'})"


@pghistory.track()
class PcdOpinion(TimeStampedModel):
    """The opinion of the président du conseil départemental of one département on the director proposal."""

    nomination = models.ForeignKey(
        DirectorNomination, verbose_name="dossier", on_delete=models.CASCADE, related_name="opinions"
    )
    departement = models.ForeignKey("members.Departement", verbose_name="département", on_delete=models.PROTECT)
    opinion = models.CharField("avis", max_length=12, choices=Opinion.choices)
    given_on = models.DateField("rendu le")
    reference = models.CharField("référence", max_length=200, blank=True)

    class Meta:
        verbose_name = "avis du président du conseil départemental"
        verbose_name_plural = "avis des présidents des conseils départementaux"
        ordering = ["nomination", "departement"]
        constraints = [models.UniqueConstraint(fields=["nomination", "departement"], name="pcd_opinion_once")]

    def __str__(self) -> str:
        return f"{self.departement} : {self.get_opinion_display()}"


@pghistory.track()
class AdministratorMandate(TimeStampedModel):
    """The administrateur of a GCSMS, elected by the AG for three years, renewable (R. 312-194-23 CASF)."""

    groupement = models.ForeignKey(
        "members.Groupement",
        verbose_name="groupement",
        on_delete=models.PROTECT,
        related_name="administrator_mandates",
    )
    election = models.OneToOneField(
        Deliberation,
        verbose_name="délibération d'élection",
        on_delete=models.PROTECT,
        related_name="administrator_mandate",
    )
    person_name = models.CharField("nom", max_length=200)
    representing = models.ForeignKey(
        "members.Membership", verbose_name="représentant du membre", on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateField("début du mandat")
    end = models.DateField("fin du mandat (premier jour hors mandat)")

    class Meta:
        verbose_name = "mandat d'administrateur"
        verbose_name_plural = "mandats d'administrateur"
        ordering = ["groupement", "-start"]

    def __str__(self) -> str:
        return f"{self.person_name}, administrateur"
