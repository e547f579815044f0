"""Documents produced in the background: the job that makes one, and the versioned, hashed result.

A ``GenerationJob`` is the truth about one production (pending → running → done or failed). A
``Document`` is its result: version N of a kind for one subject of one groupement, with the file's
sha256. A draft can be finalised (a finalisation job turns it into the final file of the same
version); a final document is never changed again: a new request makes a new version.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from core.enums import JobStatus
from core.models import BackgroundJob, TimeStampedModel
from documents import registry
from documents.enums import DocumentFormat, DocumentStatus


class GenerationJobQuerySet(models.QuerySet["GenerationJob"]):
    def active(self) -> "GenerationJobQuerySet":
        return self.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING])


class GenerationJob(BackgroundJob):
    """One request to produce a document (or to finalise a draft), run by a Celery worker."""

    # Kind codes are not database choices: rooms register their kinds at start-up (registry).
    kind = models.CharField("type de document", max_length=40, db_index=True, validators=[registry.validate_kind])
    groupement = models.ForeignKey(
        "members.Groupement", verbose_name="groupement", on_delete=models.PROTECT, related_name="generation_jobs"
    )
    subject_key = models.CharField("objet", max_length=100)
    year = models.PositiveSmallIntegerField("année", null=True, blank=True)
    final = models.BooleanField("définitif demandé", default=False)
    finalises = models.ForeignKey(
        "documents.Document", verbose_name="projet à finaliser", null=True, blank=True, on_delete=models.PROTECT,
        related_name="finalisation_jobs",
    )  # fmt: skip

    objects = GenerationJobQuerySet.as_manager()

    class Meta:
        verbose_name = "tâche de production de document"
        verbose_name_plural = "tâches de production de documents"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["groupement", "-created_at"], name="documents_job_groupement_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["finalises"],
                condition=Q(status__in=[JobStatus.PENDING, JobStatus.RUNNING]),
                name="documents_one_active_finalisation",
            ),
            models.CheckConstraint(
                condition=Q(finalises__isnull=True) | Q(final=True), name="documents_job_finalises_final"
            ),
        ]

    def __str__(self) -> str:
        action = "finalisation" if self.finalises_id else "production"
        return f"{self.kind_label} — {action} n° {self.pk}"

    @property
    def kind_label(self) -> str:
        return registry.title_of(self.kind)

    @property
    def result_document(self) -> "Document | None":
        """The document this job produced or finalised (needs ``select_related("document", "finalises")``)."""
        if self.finalises_id:
            return self.finalises
        try:
            return self.document
        except Document.DoesNotExist:
            return None


@pghistory.track(exclude=["source"])
class Document(TimeStampedModel):
    """Version N of a kind of document for one subject of one groupement, with its stored file."""

    kind = models.CharField("type de document", max_length=40, validators=[registry.validate_kind])
    groupement = models.ForeignKey(
        "members.Groupement", verbose_name="groupement", on_delete=models.PROTECT, related_name="documents"
    )
    # What the document is about, as "<what>:<id>" (e.g. "groupement:12", "year:2026").
    subject_key = models.CharField("objet", max_length=100)
    year = models.PositiveSmallIntegerField("année", null=True, blank=True)
    version = models.PositiveIntegerField("version")
    status = models.CharField("statut", max_length=5, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT)
    format = models.CharField("format", max_length=4, choices=DocumentFormat.choices)
    title = models.CharField("titre", max_length=300)
    file = models.FileField("fichier", max_length=300)
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    size = models.PositiveBigIntegerField("taille (octets)")
    page_count = models.PositiveIntegerField("nombre de pages", null=True, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="demandé par", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    generated_at = models.DateTimeField("produit le")
    job = models.OneToOneField(
        GenerationJob, verbose_name="tâche de production", on_delete=models.PROTECT, related_name="document"
    )
    finalised_at = models.DateTimeField("finalisé le", null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="finalisé par", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    # A draft PDF keeps the HTML of its final form (gzip), so that finalising gives exactly the
    # reviewed content without the "PROJET" watermark.
    source = models.BinaryField("source du document définitif", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "document"
        ordering = ["-generated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "groupement", "subject_key", "version"], name="documents_one_version_per_subject"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="documents_version_positive"),
        ]
        indexes = [
            models.Index(fields=["groupement", "-generated_at"], name="documents_groupement_idx"),
            models.Index(fields=["groupement", "kind", "status"], name="documents_filter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} — version {self.version} ({self.get_status_display().lower()})"

    @property
    def kind_label(self) -> str:
        return registry.title_of(self.kind)

    @property
    def is_draft(self) -> bool:
        return self.status == DocumentStatus.DRAFT

    @property
    def extension(self) -> str:
        return self.format
