import datetime
import io
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from openpyxl import load_workbook

from core.enums import JobStatus, JournalAction
from core.exceptions import BusinessRuleError
from core.models import JournalEntry
from core.perms import RightRequired
from documents import production, services
from documents.enums import DocumentStatus
from documents.models import Document, GenerationJob
from members.documents import members_register_context, reference_date
from tests.documents import kinds as test_kinds


pytestmark = pytest.mark.django_db


def stored_files(media_root: Path) -> list[Path]:
    return sorted(path for path in media_root.rglob("*") if path.is_file())


def pdf_text(document: Document) -> str:
    with document.file.open("rb") as handle:
        content = handle.read()
    result = subprocess.run(["pdftotext", "-raw", "-", "-"], input=content, check=True, capture_output=True)
    return result.stdout.decode()


def request_and_run(*, kind="members_register", groupement, actor=None, **kwargs) -> GenerationJob:
    job = services.document_request(kind=kind, groupement=groupement, actor=actor, enqueue=False, **kwargs)
    production.job_run(job.pk)
    job.refresh_from_db()
    return job


class TestDocumentRequest:
    def test_writes_a_pending_job_journals_it_and_enqueues_on_commit(self, make_groupement, director, mocker=None):
        groupement = make_groupement(members=2)
        user = director(groupement)
        sent = []
        from documents import tasks

        original = tasks.documents_job_run.delay
        tasks.documents_job_run.delay = sent.append
        try:
            job = services.document_request(kind="members_register", groupement=groupement, actor=user)
            assert sent == []  # not before commit
            job.refresh_from_db()
            assert job.status == JobStatus.PENDING and job.requested_by == user
            assert job.subject_key == f"groupement:{groupement.pk}"
        finally:
            tasks.documents_job_run.delay = original
        entry = JournalEntry.objects.get(action=JournalAction.DOCUMENT_REQUESTED)
        assert entry.facts == {"groupement": groupement.pk, "kind": "members_register"}
        assert entry.actor == user

    def test_enqueues_once_the_transaction_commits(self, make_groupement, django_capture_on_commit_callbacks):
        groupement = make_groupement(members=1)
        sent = []
        from documents import tasks

        original = tasks.documents_job_run.delay
        tasks.documents_job_run.delay = sent.append
        try:
            with django_capture_on_commit_callbacks(execute=True):
                job = services.document_request(kind="members_list", groupement=groupement, actor=None)
        finally:
            tasks.documents_job_run.delay = original
        assert sent == [job.pk]
        job.refresh_from_db()
        assert job.enqueued_at is not None

    def test_unknown_kind_is_refused_in_french(self, make_groupement):
        with pytest.raises(BusinessRuleError, match="n'est pas disponible"):
            services.document_request(kind="cpom", groupement=make_groupement(members=1), actor=None)

    def test_a_final_document_needs_the_right_to_finalise(self, make_groupement, staff):
        groupement = make_groupement(members=1)
        with pytest.raises(RightRequired, match="définitif"):
            services.document_request(
                kind="members_register", groupement=groupement, final=True, actor=staff(groupement)
            )
        assert not GenerationJob.objects.exists()

    def test_asking_twice_while_waiting_gives_the_same_job(self, make_groupement):
        groupement = make_groupement(members=1)
        first = services.document_request(kind="members_list", groupement=groupement, actor=None, enqueue=False)
        second = services.document_request(kind="members_list", groupement=groupement, actor=None, enqueue=False)
        assert first == second
        other_year = services.document_request(
            kind="members_list", groupement=groupement, year=2025, actor=None, enqueue=False
        )
        assert other_year != first and other_year.subject_key == "year:2025"

    def test_subject_may_be_a_key_or_a_model_instance(self, make_groupement):
        groupement = make_groupement(members=1)
        membership = groupement.memberships.get()
        job = services.document_request(
            kind="test_about_member", groupement=groupement, subject=membership, actor=None, enqueue=False
        )
        assert job.subject_key == f"members.membership:{membership.pk}"
        again = services.document_request(
            kind="test_about_member", groupement=groupement, subject=job.subject_key, actor=None, enqueue=False
        )
        assert again == job
        assert services.subject_key_for(groupement, groupement=groupement, year=None) == (
            f"members.groupement:{groupement.pk}"
        )
        with pytest.raises(BusinessRuleError):
            services.subject_key_for("pas une clé", groupement=groupement, year=None)

    def test_an_object_kind_needs_an_object_of_the_groupement(self, make_groupement):
        groupement, other = make_groupement(members=1), make_groupement(members=1)
        with pytest.raises(BusinessRuleError, match="porte sur un objet précis"):
            services.document_request(kind="test_about_member", groupement=groupement, actor=None, enqueue=False)
        for subject in (other.memberships.get(), groupement, f"members.membership:{other.memberships.get().pk}"):
            with pytest.raises(BusinessRuleError, match="ne peut pas être le sujet"):
                services.document_request(
                    kind="test_about_member", groupement=groupement, subject=subject, actor=None, enqueue=False
                )
        assert not GenerationJob.objects.exists()

    def test_a_groupement_kind_takes_no_other_subject_and_a_year_only_when_it_is_about_one(self, make_groupement):
        groupement = make_groupement(members=1)
        with pytest.raises(BusinessRuleError, match="sans autre objet"):
            services.document_request(
                kind="members_list", groupement=groupement, subject="exercise:2026-a", actor=None, enqueue=False
            )
        with pytest.raises(BusinessRuleError, match="ne porte pas sur une année"):
            services.document_request(
                kind="test_for_members", groupement=groupement, year=2025, actor=None, enqueue=False
            )
        job = services.document_request(
            kind="members_list", groupement=groupement, subject=groupement, actor=None, enqueue=False
        )
        assert job.subject_key == f"groupement:{groupement.pk}"


class TestJobRun:
    def test_produces_a_draft_pdf_register_with_its_hash_and_journal(self, make_groupement, director, media_root):
        groupement = make_groupement(members=3, establishments=2, left=1, partner=1)
        user = director(groupement)
        job = request_and_run(groupement=groupement, actor=user)
        assert job.status == JobStatus.DONE and job.progress == 100 and job.attempts == 1
        document = job.document
        assert document.version == 1 and document.status == DocumentStatus.DRAFT and document.format == "pdf"
        assert document.generated_by == user and document.page_count >= 1
        assert document.file.name == f"documents/{groupement.pk}/members_register/{job.pk}-v1.pdf"
        content = Path(document.file.path).read_bytes()
        assert content.startswith(b"%PDF") and document.size == len(content)
        import hashlib

        assert document.sha256 == hashlib.sha256(content).hexdigest()
        text = pdf_text(document)
        for name in ("EHPAD MEMBRE 000", "EHPAD MEMBRE 002", "EHPAD SORTI 000", "PARTENAIRE 000"):
            assert name in text
        assert "PROJET" in text
        assert "Certifié exact par le directeur du groupement" in text
        assert "page 1 /" in text
        entry = JournalEntry.objects.get(action=JournalAction.DOCUMENT_ISSUED)
        assert entry.facts == {
            "groupement": groupement.pk,
            "kind": "members_register",
            "version": 1,
            "sha256": document.sha256,
            "status": "DRAFT",
        }
        assert stored_files(media_root) == [Path(document.file.path)]

    def test_versions_count_per_kind_groupement_and_subject(self, make_groupement):
        groupement = make_groupement(members=1)
        assert request_and_run(kind="members_list", groupement=groupement).document.version == 1
        assert request_and_run(kind="members_list", groupement=groupement).document.version == 2
        assert request_and_run(kind="members_list", groupement=groupement, year=2025).document.version == 1
        assert request_and_run(kind="members_register", groupement=groupement).document.version == 1
        other = make_groupement(members=1)
        assert request_and_run(kind="members_list", groupement=other).document.version == 1

    def test_running_a_job_twice_makes_one_document_and_one_file(self, make_groupement, media_root):
        groupement = make_groupement(members=2)
        job = request_and_run(kind="members_register", groupement=groupement)
        assert production.job_run(job.pk) == production.Outcome.SKIPPED
        assert Document.objects.count() == 1
        assert len(stored_files(media_root)) == 1

    def test_a_rerun_after_a_dead_attempt_reuses_the_deterministic_name(self, make_groupement, media_root):
        """A worker that died after writing the file but before committing left an orphan: it is replaced."""
        groupement = make_groupement(members=1)
        job = services.document_request(kind="members_list", groupement=groupement, actor=None, enqueue=False)
        orphan = f"documents/{groupement.pk}/members_list/{job.pk}-v1.xlsx"
        default_storage.save(orphan, io.BytesIO(b"half a file"))
        GenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1)
        assert production.job_run(job.pk) == production.Outcome.DONE
        job.refresh_from_db()
        assert job.attempts == 2 and job.document.file.name == orphan
        assert len(stored_files(media_root)) == 1
        assert Path(job.document.file.path).read_bytes()[:2] == b"PK"

    def test_a_failed_transaction_leaves_no_file(self, make_groupement, media_root, monkeypatch):
        groupement = make_groupement(members=1)
        job = services.document_request(kind="members_list", groupement=groupement, actor=None, enqueue=False)

        def broken(**kwargs):
            raise RuntimeError("base de données indisponible")

        monkeypatch.setattr(production, "journal_record", broken)
        assert production.job_run(job.pk) == production.Outcome.RETRY
        job.refresh_from_db()
        assert job.status == JobStatus.PENDING and "tentative 1 sur 3" in job.error
        assert Document.objects.count() == 0
        assert stored_files(media_root) == []

    def test_rule_errors_fail_at_once_with_their_message(self, make_groupement):
        job = request_and_run(kind="test_rule", groupement=make_groupement(members=1))
        assert job.status == JobStatus.FAILED and job.attempts == 1
        assert job.error == "Ce document ne peut pas être produit : règle de test."

    def test_a_year_to_come_is_a_rule_error(self, make_groupement):
        year = timezone.localdate().year + 1
        job = request_and_run(groupement=make_groupement(members=1), year=year)
        assert job.status == JobStatus.FAILED and "année à venir" in job.error

    def test_unexpected_errors_are_retried_then_fail_after_three_attempts(self, make_groupement):
        groupement = make_groupement(members=1)
        job = services.document_request(kind="test_failing", groupement=groupement, actor=None, enqueue=False)
        outcomes = [production.job_run(job.pk) for _ in range(4)]
        assert outcomes == [production.Outcome.RETRY, production.Outcome.RETRY, production.Outcome.FAILED, "skipped"]
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED and job.attempts == 3
        assert "après 3 tentatives" in job.error

    def test_a_transient_error_is_retried_and_succeeds(self, make_groupement):
        test_kinds.CALLS["flaky"] = 0
        groupement = make_groupement(members=1)
        job = services.document_request(kind="test_flaky", groupement=groupement, actor=None, enqueue=False)
        assert production.job_run(job.pk) == production.Outcome.RETRY
        assert production.job_run(job.pk) == production.Outcome.DONE
        job.refresh_from_db()
        assert job.attempts == 2 and job.error == ""

    def test_the_task_retries_in_process_until_done(self, make_groupement, django_capture_on_commit_callbacks):
        """Eager mode: the task's retry runs at once; the job row caps the attempts."""
        groupement = make_groupement(members=1)
        with django_capture_on_commit_callbacks(execute=True):
            job = services.document_request(kind="test_failing", groupement=groupement, actor=None)
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED and job.attempts == 3

    def test_members_list_workbook(self, make_groupement):
        groupement = make_groupement(members=2, establishments=3, left=1)
        document = request_and_run(kind="members_list", groupement=groupement).document
        assert document.format == "xlsx" and document.page_count is None
        with document.file.open("rb") as handle:
            workbook = load_workbook(io.BytesIO(handle.read()))
        assert workbook.sheetnames == ["Membres", "Établissements"]
        members = workbook["Membres"]
        assert members["A1"].value == "Entité juridique" and members["A1"].font.bold
        assert members.max_row == 1 + 3
        assert members["K2"].number_format == "0.00 %"
        assert members["K2"].value == pytest.approx(0.5)
        assert workbook["Établissements"].max_row == 1 + 2 * 3 + 1
        assert workbook.properties.title.startswith("Liste des membres")


class TestFinalise:
    def test_finalising_a_draft_makes_the_final_file_of_the_same_version(
        self, make_groupement, director, media_root, django_capture_on_commit_callbacks
    ):
        groupement = make_groupement(members=2)
        user = director(groupement)
        draft = request_and_run(groupement=groupement, actor=user).document
        draft_path = Path(draft.file.path)
        assert "PROJET" in pdf_text(draft)
        job = services.document_finalise(document=draft, actor=user, enqueue=False)
        with django_capture_on_commit_callbacks(execute=True):
            assert production.job_run(job.pk) == production.Outcome.DONE
        document = Document.objects.get(pk=draft.pk)
        assert document.status == DocumentStatus.FINAL and document.version == 1
        assert document.finalised_by == user and document.finalised_at is not None
        text = pdf_text(document)
        assert "PROJET" not in text and "EHPAD MEMBRE 001" in text and "définitif" in text
        assert not draft_path.exists()
        assert stored_files(media_root) == [Path(document.file.path)]
        entry = JournalEntry.objects.get(action=JournalAction.DOCUMENT_FINALISED)
        assert entry.facts["version"] == 1 and entry.facts["sha256"] == document.sha256
        assert entry.actor == user

    def test_a_final_document_is_never_changed_a_new_request_makes_a_new_version(self, make_groupement, director):
        groupement = make_groupement(members=1)
        user = director(groupement)
        final = request_and_run(groupement=groupement, actor=user, final=True).document
        assert final.status == DocumentStatus.FINAL and "PROJET" not in pdf_text(final)
        with pytest.raises(BusinessRuleError, match="déjà définitif"):
            services.document_finalise(document=final, actor=user)
        newer = request_and_run(groupement=groupement, actor=user).document
        assert newer.version == 2 and newer.status == DocumentStatus.DRAFT
        final.refresh_from_db()
        assert final.status == DocumentStatus.FINAL and final.version == 1

    def test_finalising_needs_the_right(self, make_groupement, staff):
        groupement = make_groupement(members=1)
        draft = request_and_run(kind="members_list", groupement=groupement).document
        with pytest.raises(RightRequired, match="droit de finaliser"):
            services.document_finalise(document=draft, actor=staff(groupement))

    def test_a_version_older_than_a_final_one_cannot_be_finalised(self, make_groupement, director):
        groupement = make_groupement(members=1)
        user = director(groupement)
        old = request_and_run(kind="members_list", groupement=groupement).document
        request_and_run(kind="members_list", groupement=groupement, final=True, actor=user)
        with pytest.raises(BusinessRuleError, match="version 2 de ce document est déjà définitive"):
            services.document_finalise(document=old, actor=user)

    def test_finalising_twice_is_one_job_and_the_xlsx_becomes_final(
        self, make_groupement, director, media_root, django_capture_on_commit_callbacks
    ):
        groupement = make_groupement(members=1)
        user = director(groupement)
        draft = request_and_run(kind="members_list", groupement=groupement).document
        job = services.document_finalise(document=draft, actor=user, enqueue=False)
        assert services.document_finalise(document=draft, actor=user, enqueue=False) == job
        with django_capture_on_commit_callbacks(execute=True):
            assert production.job_run(job.pk) == production.Outcome.DONE
        assert production.job_run(job.pk) == production.Outcome.SKIPPED
        document = Document.objects.get(pk=draft.pk)
        assert document.status == DocumentStatus.FINAL
        with document.file.open("rb") as handle:
            workbook = load_workbook(io.BytesIO(handle.read()))
        assert "définitif" in workbook.properties.description
        assert len(stored_files(media_root)) == 1


class TestRegisterContext:
    @pytest.mark.parametrize("members", [1, 12])
    def test_query_count_does_not_grow_with_the_members(self, make_groupement, members, django_assert_num_queries):
        groupement = make_groupement(members=members, establishments=3, left=1, partner=1)
        # memberships with their terms in force (one query with subqueries) + open establishments
        with django_assert_num_queries(2):
            context = members_register_context(groupement, "", None, lambda percent, step: None)
        register = context["register"]
        assert register.active_count == members and register.left_count == 1 and len(register.partners) == 1
        assert register.total_share == 100 and not register.shares_mismatch

    def test_shares_that_do_not_sum_to_100_are_flagged(self, make_groupement):
        groupement = make_groupement(members=2, shares=[Decimal("40"), Decimal("59.995")])
        register = members_register_context(groupement, "", None, lambda percent, step: None)["register"]
        assert register.shares_mismatch and register.total_share_display == "99,9950\u00a0%"

    def test_a_past_year_describes_the_31st_of_december(self, make_groupement):
        assert reference_date(2025) == datetime.date(2025, 12, 31)
        with pytest.raises(BusinessRuleError):
            reference_date(1999)


def test_a_job_that_loses_its_version_number_renders_again_with_the_next_one(make_groupement, monkeypatch):
    """Two jobs of one subject: the one that stores last gets version 2, printed in its own file."""
    groupement = make_groupement(members=1)
    first = services.document_request(kind="members_register", groupement=groupement, actor=None, enqueue=False)
    second = services.document_request(
        kind="members_register", groupement=groupement, final=True, actor=None, enqueue=False
    )
    render = production._render
    versions = []

    def render_while_the_other_finishes(job, spec, context, version, *rest):
        versions.append(version)
        if job.pk == first.pk and len(versions) == 1:
            assert production.job_run(second.pk) == production.Outcome.DONE
        return render(job, spec, context, version, *rest)

    monkeypatch.setattr(production, "_render", render_while_the_other_finishes)
    assert production.job_run(first.pk) == production.Outcome.DONE
    assert versions == [1, 1, 2]  # first job: 1, the other job: 1 (stored), first job again: 2
    assert Document.objects.get(job=second).version == 1
    document = Document.objects.get(job=first)
    assert document.version == 2 and "version 2" in pdf_text(document)
