"""Produce a document from the command line: ``generate_document KIND --groupement SLUG``.

Without ``--wait`` the job is enqueued for a worker; with ``--wait`` it runs here, in this process,
with the same code as the worker (attempts and retries included). The last line printed is JSON.
"""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.enums import JobStatus
from core.exceptions import BusinessRuleError
from documents import production, services
from documents.models import Document, GenerationJob


class Command(BaseCommand):
    help = "Produit un document d'un groupement (en file d'attente, ou ici même avec --wait)."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="type de document, par exemple members_register")
        parser.add_argument("--groupement", required=True, help="identifiant court (slug) du groupement")
        parser.add_argument("--year", type=int, default=None, help="année décrite par le document")
        parser.add_argument("--final", action="store_true", help="document définitif (sans « PROJET »)")
        parser.add_argument("--wait", action="store_true", help="produire ici et attendre la fin")

    def handle(self, *args, kind: str, groupement: str, year: int | None, final: bool, wait: bool, **options):
        started = time.monotonic()
        groupement_model = GenerationJob._meta.get_field("groupement").related_model
        try:
            target = groupement_model.objects.get(slug=groupement)
        except groupement_model.DoesNotExist:
            raise CommandError(f"Aucun groupement n'a l'identifiant « {groupement} ».") from None
        try:
            with transaction.atomic():
                job = services.document_request(
                    kind=kind, groupement=target, year=year, final=final, actor=None, enqueue=not wait
                )
        except BusinessRuleError as error:
            raise CommandError(" ".join(error.messages)) from None
        if not wait:
            self._print(job, None, started)
            return
        outcome = production.job_run(job.pk)
        while outcome == production.Outcome.RETRY:
            self.stderr.write(f"Tentative échouée, nouvel essai : {GenerationJob.objects.get(pk=job.pk).error}")
            outcome = production.job_run(job.pk)
        job.refresh_from_db()
        document = Document.objects.filter(job=job).defer("source").first()
        self._print(job, document, started)
        if job.status != JobStatus.DONE:
            raise CommandError(job.error or "La production n'a pas abouti.")

    def _print(self, job: GenerationJob, document: Document | None, started: float) -> None:
        if document is not None:
            self.stdout.write(f"{document.title} — version {document.version} : {document.file.name}")
            try:
                path = document.file.path
            except NotImplementedError:  # storage without local paths
                path = document.file.name
        else:
            self.stdout.write(f"Tâche {job.pk} : {job.get_status_display().lower()}")
            path = None
        result = {
            "document": document.pk if document else None,
            "job": job.pk,
            "kind": job.kind,
            "version": document.version if document else None,
            "status": (document.status.lower() if document else job.status.lower()),
            "path": path,
            "sha256": document.sha256 if document else None,
            "pages": document.page_count if document else None,
            "seconds": round(time.monotonic() - started, 2),
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
