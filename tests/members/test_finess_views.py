"""FINESS upload pages (members/finess/views.py) and the background import run, end to end."""

import datetime
import hashlib
import re

import pytest
from bs4 import BeautifulSoup
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.urls import reverse
from django.utils import timezone

from core.enums import JobStatus
from core.jobs import JobProgress
from core.uploads import display_name
from members.finess.execution import finess_import_run_execute
from members.finess.runs import finess_import_run_request
from members.models import Establishment, FinessImportRun, LegalEntity
from tests.accounts.factories import UserFactory


pytestmark = pytest.mark.django_db

LIST_URL = "/plateforme/finess/"
EJ23 = "etalab_stock_ej_20201231_dep23.csv"
ET23 = "etalab-cs1100507-stock-20210108-0427_dep23_reconstructed.csv"
EXCERPT = "etalab-cs1100502-stock-20260512-0339_excerpt.csv"


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    client.admin = admin
    return client


def upload(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="text/csv")


def page_text(response) -> str:
    return BeautifulSoup(response.content, "html.parser").get_text()


def make_run(admin, **fields):
    defaults = {
        "files": [{"name": EJ23, "storage_name": "finess/x.dat", "sha256": "0" * 64, "size": 10}],
        "requested_by": admin,
    }
    return FinessImportRun.objects.create(**(defaults | fields))


class TestAccess:
    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(LIST_URL)
        assert response.status_code == 302
        assert "/comptes/" in response["Location"]

    def test_signed_in_user_who_is_not_superuser_is_refused(self, client):
        client.force_login(UserFactory(is_staff=True))
        assert client.get(LIST_URL).status_code == 403
        assert client.post(LIST_URL, {}).status_code == 403
        run = make_run(None)
        assert client.get(reverse("finess:run_detail", kwargs={"public_id": run.public_id})).status_code == 403

    def test_unknown_run_is_404(self, admin_client):
        url = reverse("finess:run_detail", kwargs={"public_id": "00000000-0000-0000-0000-000000000000"})
        assert admin_client.get(url).status_code == 404


class TestUpload:
    def test_upload_imports_in_the_background(self, admin_client, finess_dir, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                LIST_URL, {"files": [upload(finess_dir / ET23), upload(finess_dir / EJ23)]}, follow=False
            )
        run = FinessImportRun.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("finess:run_detail", kwargs={"public_id": run.public_id})
        assert run.status == JobStatus.DONE
        assert run.requested_by == admin_client.admin
        assert run.result == {
            "read": 423,
            "created": 423,
            "updated": 0,
            "unchanged": 0,
            "closed": 0,
            "rejected": 0,
            "errors": [],
            "notes": [],
            "pending_closures": [],
        }
        assert Establishment.objects.count() == 263 and LegalEntity.objects.count() == 160
        # Files are kept under server-chosen names, with their digest.
        assert [item["name"] for item in run.files] == [ET23, EJ23]
        for item in run.files:
            assert re.fullmatch(r"finess/[0-9a-f]{32}\.txt", item["storage_name"])
            assert item["name"] not in item["storage_name"]
            with default_storage.open(item["storage_name"], "rb") as handle:
                assert hashlib.sha256(handle.read()).hexdigest() == item["sha256"]
            assert item["sha256"] == hashlib.sha256((finess_dir / item["name"]).read_bytes()).hexdigest()

        page = admin_client.get(response["Location"])
        soup = BeautifulSoup(page.content, "html.parser")
        bilan = soup.select_one("#bilan")
        assert bilan is not None
        assert "Lignes lues" in bilan.text and "423" in bilan.text
        assert "Aucune ligne rejetée." in bilan.text

    def test_rejected_lines_are_shown_with_their_file(
        self, admin_client, finess_dir, tmp_path, django_capture_on_commit_callbacks
    ):
        text = (
            (finess_dir / EXCERPT)
            .read_text(encoding="utf-8")
            .replace("structureet;970102018;", "structureet;97010201;")
        )
        bad = SimpleUploadedFile("extrait.csv", text.encode(), content_type="text/csv")
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(LIST_URL, {"files": [bad, upload(finess_dir / EJ23)]})
        run = FinessImportRun.objects.get()
        assert run.result["rejected"] == 1
        assert run.result["errors"] == [
            {
                "line": 3,
                "reason": (
                    "« 97010201 » n'est pas un numéro FINESS : il faut 9 chiffres ou lettres. (colonne nofinesset)"
                ),
                "file": "extrait.csv",
            }
        ]
        soup = BeautifulSoup(admin_client.get(response["Location"]).content, "html.parser")
        table = soup.select("#bilan table")[1]
        assert table.caption.text.strip() == "Lignes rejetées"
        assert [th.text for th in table.select("thead th")] == ["Fichier", "Ligne", "Motif"]
        assert table.select_one("tbody td").text == "extrait.csv"

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "n'est pas du type attendu (fichier texte, CSV ou JSON)"),
            ("nom;prénom\nDupont;Jean\n".encode(), "n'est pas un extrait FINESS reconnu"),
            (b"", "fichier soumis est vide"),
        ],
    )
    def test_file_that_is_not_finess_is_refused_at_once(self, admin_client, content, message):
        response = admin_client.post(LIST_URL, {"files": [SimpleUploadedFile("photo.csv", content)]})
        assert response.status_code == 200
        assert message in page_text(response)
        assert not FinessImportRun.objects.exists()

    def test_no_file(self, admin_client):
        response = admin_client.post(LIST_URL, {})
        assert response.status_code == 200
        assert "Ce champ est obligatoire." in page_text(response)

    def test_size_limit(self, admin_client, finess_dir, settings):
        settings.UPLOAD_MAX_BYTES = 1000
        response = admin_client.post(LIST_URL, {"files": [upload(finess_dir / EXCERPT)]})
        assert "est trop volumineux" in page_text(response)
        assert not FinessImportRun.objects.exists()

    def test_file_refused_by_the_worker_fails_the_run(self, admin_client, django_capture_on_commit_callbacks):
        broken = SimpleUploadedFile("flux.json", b'{\n  "pmej": [\n', content_type="application/json")
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(LIST_URL, {"files": [broken]})
        run = FinessImportRun.objects.get()
        assert run.status == JobStatus.FAILED
        assert "n'est pas un JSON lisible" in run.error
        assert not LegalEntity.objects.exists()
        page = page_text(admin_client.get(response["Location"]))
        assert "Échec : Le fichier « flux.json » n'est pas un JSON lisible" in page

    def test_running_the_task_twice_imports_once(self, admin_client, finess_dir, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(LIST_URL, {"files": [upload(finess_dir / EXCERPT)]})
        run = FinessImportRun.objects.get()
        finished_at = run.finished_at
        finess_import_run_execute(run_id=run.pk)
        run.refresh_from_db()
        assert (run.status, run.finished_at, run.attempts) == (JobStatus.DONE, finished_at, 1)


class TestPages:
    def test_list_page_query_count_does_not_grow_with_rows(self, admin_client, django_assert_num_queries):
        make_run(admin_client.admin)
        admin_client.get(LIST_URL)  # the first request of a session writes its activity stamp
        # session, user, pghistory context, runs, role assignments (navigation), end of context
        with django_assert_num_queries(6) as captured:
            response = admin_client.get(LIST_URL)
        assert response.status_code == 200
        for _ in range(12):
            make_run(admin_client.admin, status=JobStatus.DONE, result={"read": 3, "rejected": 1})
        with django_assert_num_queries(len(captured)):
            response = admin_client.get(LIST_URL)
        soup = BeautifulSoup(response.content, "html.parser")
        table = soup.select_one("table.table")
        assert table.caption.text.startswith("Les 13 derniers imports")
        assert len(table.select("tbody tr")) == 13
        assert soup.select_one("label[for=id_files]").text.startswith("Extraits FINESS")
        assert soup.select_one("input[type=file]").has_attr("multiple")

    def test_detail_page_query_count_does_not_grow_with_rows(self, admin_client, django_assert_num_queries):
        errors = [{"line": n, "reason": "date invalide « 2016-02-30 » (colonne datemaj)"} for n in range(1, 101)]
        small = make_run(admin_client.admin, status=JobStatus.DONE, result={"read": 1, "rejected": 0, "errors": []})
        big = make_run(
            admin_client.admin,
            status=JobStatus.DONE,
            result={"read": 900, "rejected": 150, "errors": errors},
            files=[{"name": f"f{n}.csv", "storage_name": "x", "sha256": "0" * 64, "size": n} for n in range(5)],
        )
        admin_client.get(LIST_URL)  # the first request of a session writes its activity stamp
        with django_assert_num_queries(6) as captured:
            admin_client.get(reverse("finess:run_detail", kwargs={"public_id": small.public_id}))
        with django_assert_num_queries(len(captured)):
            response = admin_client.get(reverse("finess:run_detail", kwargs={"public_id": big.public_id}))
        soup = BeautifulSoup(response.content, "html.parser")
        rejected = soup.select("#bilan table")[1]
        assert rejected.caption.text.strip() == "Lignes rejetées (les 100 premières)"
        assert len(rejected.select("tbody tr")) == 100

    def test_progress_fragment_for_htmx(self, admin_client):
        run = make_run(admin_client.admin, status=JobStatus.RUNNING, progress=42, step="f.csv — Établissements")
        url = reverse("finess:run_detail", kwargs={"public_id": run.public_id})
        response = admin_client.get(url, headers={"HX-Request": "true"})
        soup = BeautifulSoup(response.content, "html.parser")
        job = soup.select_one(f"#job-{run.pk}")
        assert job["hx-get"] == url
        assert "(42 %)" in job.text
        assert soup.select_one("#bilan") is None
        assert "<html" not in response.content.decode()
        assert response["Cache-Control"].startswith("max-age=0")


def test_display_name_keeps_no_folder_nor_control_characters():
    assert display_name("C:\\Users\\x\\extrait.csv") == "extrait.csv"
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("a\x00b\nc.csv") == "abc.csv"
    assert display_name("") == "fichier"


class TestBackgroundRun:
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)
    def test_progress_is_written_on_its_own_connection(self):
        run = FinessImportRun.objects.create(files=[], status=JobStatus.RUNNING)
        writer = JobProgress(run)
        try:
            with transaction.atomic():  # the import's transaction: the page must see progress anyway
                writer(37, "f.csv — Établissements : 2000 lignes lues")
                other = connections.create_connection(DEFAULT_DB_ALIAS)
                try:
                    with other.cursor() as cursor:
                        cursor.execute("SELECT progress FROM members_finessimportrun WHERE id = %s", [run.pk])
                        assert cursor.fetchone() == (37,)
                finally:
                    other.close()
        finally:
            writer.close()
        run.refresh_from_db()
        assert (run.progress, run.step) == (37, "f.csv — Établissements : 2000 lignes lues")

    def test_sweep_sends_again_a_lost_import(self, admin_client, finess_dir):
        from members.tasks import members_finess_import_sweep

        # No on-commit callback is run here: the task was "lost", the run stays PENDING.
        run = finess_import_run_request(uploads=[upload(finess_dir / EXCERPT)], actor=admin_client.admin)
        FinessImportRun.objects.filter(pk=run.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
        assert members_finess_import_sweep() == 1
        run.refresh_from_db()
        assert run.status == JobStatus.DONE
        assert run.result["created"] == 14
