import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.enums import JobStatus
from documents.models import Document, GenerationJob


pytestmark = pytest.mark.django_db


def run(*args) -> dict:
    out = io.StringIO()
    call_command("generate_document", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_wait_produces_the_document_here_and_prints_json_last(make_groupement):
    groupement = make_groupement(members=2)
    result = run("members_register", "--groupement", groupement.slug, "--wait")
    document = Document.objects.get()
    assert result["document"] == document.pk and result["kind"] == "members_register"
    assert result["version"] == 1 and result["status"] == "draft" and result["pages"] == document.page_count
    assert result["sha256"] == document.sha256 and Path(result["path"]).read_bytes().startswith(b"%PDF")
    assert result["seconds"] >= 0


def test_final_xlsx_with_a_year(make_groupement):
    groupement = make_groupement(members=1)
    result = run("members_list", "--groupement", groupement.slug, "--year", "2025", "--final", "--wait")
    assert result["status"] == "final" and result["pages"] is None and result["version"] == 1
    assert Document.objects.get().subject_key == "year:2025"


def test_without_wait_the_job_is_enqueued(make_groupement):
    groupement = make_groupement(members=1)
    result = run("members_list", "--groupement", groupement.slug)
    job = GenerationJob.objects.get()
    assert result["job"] == job.pk and result["document"] is None and result["status"] == "pending"


def test_errors_are_french_command_errors(make_groupement):
    with pytest.raises(CommandError, match="Aucun groupement"):
        run("members_list", "--groupement", "inconnu", "--wait")
    groupement = make_groupement(members=1)
    with pytest.raises(CommandError, match="n'est pas disponible"):
        run("cpom", "--groupement", groupement.slug, "--wait")
    with pytest.raises(CommandError, match="année à venir"):
        run("members_register", "--groupement", groupement.slug, "--year", "2100", "--wait")
    assert GenerationJob.objects.get().status == JobStatus.FAILED
