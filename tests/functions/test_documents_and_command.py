"""The cost_sharing command (JSON contract, CSV, XLSX) and the cost-sharing documents (PDF, XLSX) made by a job."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from core.enums import JobStatus
from documents import production, registry
from documents.models import Document
from documents.services import document_request
from functions import services
from functions.enums import KeyMethod, PostMode


pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def split_ready(function, subscribed):
    services.post_create(
        function=function, job_title="Responsable qualité", fte=Decimal("0.8"), mode=PostMode.SECONDED,
        lending_member=subscribed[0], yearly_cost=Decimal("1000.00"), starts_on=D(2026, 1, 1),
    )  # fmt: skip
    services.cost_key_set(function=function, year=2026, method=KeyMethod.EQUAL)
    return subscribed


def run(*args) -> str:
    out = io.StringIO()
    call_command("cost_sharing", *args, stdout=out)
    return out.getvalue()


def test_json_contract_on_the_last_line(groupement, split_ready):
    last = json.loads(
        run("--groupement", groupement.slug, "--year", "2026", "--format", "json").strip().splitlines()[-1]
    )
    finesses = sorted(e.finess for e in split_ready)
    assert last == {
        "year": 2026,
        "functions": [
            {
                "function": "Qualité et gestion des risques",
                "cost": "1000.00",
                "shares": {finesses[0]: "333.34", finesses[1]: "333.33", finesses[2]: "333.33"},
            }
        ],
        "members": {finesses[0]: "333.34", finesses[1]: "333.33", finesses[2]: "333.33"},
    }


def test_csv(groupement, split_ready, tmp_path):
    path = tmp_path / "r.csv"
    run("--groupement", groupement.slug, "--year", "2026", "--format", "csv", "--output", str(path))
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][:3] == ["annee", "fonction", "cout_fonction"] and len(rows) == 4
    assert sum(Decimal(row[6]) for row in rows[1:]) == Decimal("1000.00")


def test_xlsx(groupement, split_ready, tmp_path):
    path = tmp_path / "r.xlsx"
    last = json.loads(
        run("--groupement", groupement.slug, "--year", "2026", "--format", "xlsx", "--output", str(path))
        .strip()
        .splitlines()[-1]
    )
    assert last == {"year": 2026, "format": "xlsx", "file": str(path)}
    workbook = load_workbook(path, read_only=True)
    names = workbook.sheetnames
    workbook.close()
    assert names == ["Membres", "Qualité et gestion des risqu"]


def test_refused_inputs(groupement, function, subscribed):
    with pytest.raises(CommandError, match="« --groupement »"):
        run("--groupement", "inconnu")
    with pytest.raises(CommandError, match="« --year »"):
        run("--groupement", groupement.slug, "--year", "1900")
    services.other_cost_add(function=function, year=2026, label="Licence", amount=Decimal(10))
    with pytest.raises(CommandError, match="ne peuvent pas être réparties"):
        run("--groupement", groupement.slug, "--year", "2026")


@pytest.mark.parametrize(("kind", "magic"), [("cost_sharing", b"%PDF"), ("cost_sharing_xlsx", b"PK")])
def test_the_documents_are_made_by_a_job(groupement, split_ready, kind, magic):
    assert registry.find(kind) is not None
    job = document_request(kind=kind, groupement=groupement, year=2026, actor=None, enqueue=False)
    production.job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    document = Document.objects.get(job=job)
    with document.file.open("rb") as handle:
        assert handle.read().startswith(magic)
    assert document.title == f"Répartition des charges 2026 — {groupement.name}"
    if kind == "cost_sharing":
        assert document.page_count >= 2  # the summary, then a page per function
