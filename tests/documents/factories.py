import hashlib

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from core.enums import JobStatus
from documents.enums import DocumentStatus
from documents.models import Document, GenerationJob
from tests.members.factories import GroupementFactory


class GenerationJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GenerationJob

    kind = "members_list"
    groupement = factory.SubFactory(GroupementFactory)
    subject_key = factory.LazyAttribute(lambda o: f"groupement:{o.groupement.pk}")
    status = JobStatus.DONE
    progress = 100
    attempts = 1


class DocumentFactory(factory.django.DjangoModelFactory):
    """A document with a small stored file whose sha256 is right."""

    class Meta:
        model = Document

    class Params:
        content = factory.Sequence(lambda n: f"PK fichier de test {n}".encode())

    job = factory.SubFactory(GenerationJobFactory)
    kind = factory.SelfAttribute("job.kind")
    groupement = factory.SelfAttribute("job.groupement")
    subject_key = factory.SelfAttribute("job.subject_key")
    version = factory.Sequence(lambda n: n + 1)
    status = DocumentStatus.DRAFT
    format = "xlsx"
    title = factory.LazyAttribute(lambda o: f"Liste des membres — {o.groupement.name}")
    file = factory.LazyAttribute(
        lambda o: default_storage.save(f"documents/test/{o.job.pk}-v{o.version}.xlsx", ContentFile(o.content))
    )
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    size = factory.LazyAttribute(lambda o: len(o.content))
    generated_at = factory.LazyFunction(timezone.now)
