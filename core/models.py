import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.enums import JobStatus, JournalAction


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("créé le", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        abstract = True


class BackgroundJob(TimeStampedModel):
    """The truth about one piece of background work (architecture.md §5).

    pending → running → done or failed; ``attempts`` counts the runs a worker started, capped at
    ``max_attempts``; ``error`` is a French message for the user. ``core.jobs`` moves the states.
    """

    status = models.CharField(
        "état", max_length=8, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    step = models.CharField("étape", max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    max_attempts = models.PositiveSmallIntegerField("tentatives au plus", default=3)
    error = models.TextField("message d'erreur", blank=True)
    enqueued_at = models.DateTimeField("mis en file le", null=True, blank=True)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="demandé par", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class JournalImmutableError(Exception):
    """The journal is append-only: its rows are never updated or deleted."""


class JournalQuerySet(models.QuerySet["JournalEntry"]):
    def update(self, **kwargs):
        raise JournalImmutableError("Le journal ne peut pas être modifié.")

    def delete(self):
        raise JournalImmutableError("Le journal ne peut pas être effacé.")


class JournalEntry(models.Model):
    """One business event (member admitted, role granted, document issued, ARS read…).

    Append-only: the ORM refuses update and delete, and a PostgreSQL trigger refuses them too.
    """

    at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    action = models.CharField("action", max_length=40, choices=JournalAction.choices, db_index=True)
    # The tenant is the one domain concept the platform knows (docs/architecture-notes.md).
    groupement = models.ForeignKey(
        "members.Groupement", verbose_name="groupement", null=True, blank=True, on_delete=models.PROTECT,
        related_name="journal_entries", db_index=False,  # led by the (groupement, at, id) index

    )  # fmt: skip
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", null=True, blank=True, on_delete=models.PROTECT
    )
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_repr = models.CharField("objet", max_length=300, blank=True)
    facts = models.JSONField("faits", default=dict, blank=True)

    objects = JournalQuerySet.as_manager()

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"]),
            models.Index(fields=["groupement", "-at", "-id"], name="journal_groupement_at"),
        ]
        triggers = [
            pgtrigger.Protect(name="journal_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.target_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise JournalImmutableError("Le journal ne peut pas être modifié.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise JournalImmutableError("Le journal ne peut pas être effacé.")


class MailJob(BackgroundJob):
    """One e-mail to send: its French parts rendered when it was asked for, sent by the worker (``core.mail``).

    The bodies are emptied once the mail is delivered: they may hold a single-use link, which must not
    outlive its delivery in the database.
    """

    kind = models.CharField("type", max_length=40, db_index=True)
    to = models.EmailField("destinataire")
    subject = models.CharField("objet", max_length=300)
    text_body = models.TextField("texte", blank=True)
    html_body = models.TextField("HTML", blank=True)
    groupement = models.ForeignKey(
        "members.Groupement", verbose_name="groupement", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "courriel à envoyer"
        verbose_name_plural = "courriels à envoyer"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
