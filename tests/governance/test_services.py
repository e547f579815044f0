"""Governance services against the real database: each rule allowed and refused, with its article."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.enums import JournalAction
from core.exceptions import BusinessRuleError
from core.models import JournalEntry
from core.perms import RightRequired
from documents.models import GenerationJob
from governance import services
from governance.enums import AttendanceStatus, MeetingStatus, OrdinaryMajority, Outcome
from governance.models import ConventionVersion, DirectorNomination
from members.enums import LeaveReason
from members.models import Membership
from members.services import membership_terms_change
from tests.accounts.factories import UserFactory
from tests.governance.factories import at, attend, convened_meeting, groupement_with_members
from tests.members.factories import LegalEntityFactory


pytestmark = pytest.mark.django_db
P, R, A = AttendanceStatus.PRESENT, AttendanceStatus.REPRESENTED, AttendanceStatus.ABSENT
PDF = b"%PDF-1.4\n%test\n"


def version(groupement, **kw):
    return services.convention_version_record(
        groupement=groupement,
        signed_on=datetime.date(2025, 1, 1),
        effective_on=datetime.date(2025, 1, 1),
        adoption_act="Signée par les membres fondateurs",
        **kw,
    )


class TestConvention:
    def test_initial_then_avenant_copies_settings_and_lists_members_with_rights(self):
        groupement, _members = groupement_with_members()
        initial = version(groupement, convocation_days=10)
        avenant = services.convention_version_record(
            groupement=groupement,
            signed_on=datetime.date(2026, 1, 1),
            effective_on=datetime.date(2026, 2, 1),
            adoption_act="Délibération",
            changes="Siège transféré",
        )
        assert (initial.number, avenant.number, avenant.kind) == (0, 1, "AVENANT")
        assert avenant.convocation_days == 10
        assert {m.voting_rights for m in avenant.members.all()} == {Decimal(40), Decimal(30), Decimal(20), Decimal(10)}
        settings = services.governance_settings_on(groupement, datetime.date(2025, 6, 1))
        assert settings.version == initial and settings.convocation_days == 10

    def test_avenant_before_the_version_in_force_is_refused(self):
        groupement, _ = groupement_with_members()
        version(groupement)
        with pytest.raises(BusinessRuleError, match="En vigueur à partir du"):
            services.convention_version_record(
                groupement=groupement,
                signed_on=datetime.date(2024, 1, 1),
                effective_on=datetime.date(2024, 6, 1),
                adoption_act="x",
                changes="y",
            )

    def test_without_convention_the_legal_defaults_apply(self):
        groupement, _ = groupement_with_members()
        settings = services.governance_settings_on(groupement, datetime.date(2026, 1, 1))
        assert (settings.convocation_days, settings.urgent_convocation_hours) == (15, 48)
        assert settings.ordinary_majority == OrdinaryMajority.HALF_PRESENT

    def test_signed_pdf_is_checked_by_content_and_stored_under_a_generated_name(self):
        groupement, _ = groupement_with_members()
        initial = version(groupement)
        with pytest.raises(BusinessRuleError, match=r"Convention signée \(PDF\) : .*n'est pas un PDF"):
            services.convention_signed_file_attach(
                version=initial, upload=SimpleUploadedFile("convention.pdf", b"MZ not a pdf")
            )
        services.convention_signed_file_attach(version=initial, upload=SimpleUploadedFile("ma convention.pdf", PDF))
        initial.refresh_from_db()
        assert "ma convention" not in initial.signed_file.name and initial.signed_file.name.endswith(".pdf")
        assert initial.signed_file_original == "ma convention.pdf" and len(initial.signed_file_sha256) == 64

    def test_too_big_pdf_is_refused(self):
        groupement, _ = groupement_with_members()
        initial = version(groupement)
        big = SimpleUploadedFile("big.pdf", PDF + b"0" * services.MAX_PDF_BYTES)
        with pytest.raises(BusinessRuleError, match="limite est de 10 Mo"):
            services.convention_signed_file_attach(version=initial, upload=big)

    def test_transmission_decision_and_publication_in_order(self):
        groupement, _ = groupement_with_members()
        initial = version(groupement)
        with pytest.raises(BusinessRuleError, match="ne peut pas précéder la signature"):
            services.convention_transmission_record(version=initial, transmitted_on=datetime.date(2024, 12, 1))
        with pytest.raises(BusinessRuleError, match="Référence de publication"):
            services.convention_transmission_record(
                version=initial, transmitted_on=datetime.date(2025, 1, 10), published_on=datetime.date(2025, 2, 1)
            )
        services.convention_transmission_record(
            version=initial,
            transmitted_on=datetime.date(2025, 1, 10),
            published_on=datetime.date(2025, 2, 1),
            publication_reference="RAA n° 23-2025-012",
        )
        groupement.refresh_from_db()
        assert groupement.convention_transmitted_on == datetime.date(2025, 1, 10)


class TestConvocation:
    def test_convening_lists_members_with_rights_requests_the_document_and_mails(
        self, django_capture_on_commit_callbacks
    ):
        groupement, _members = groupement_with_members()
        meeting = services.meeting_create(groupement=groupement, scheduled_at=at(20), place="Guéret")
        services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget 2027")
        with django_capture_on_commit_callbacks(execute=True):
            services.meeting_convene(meeting=meeting)
        assert meeting.status == MeetingStatus.CONVENED
        assert sorted(meeting.attendances.values_list("voting_rights", flat=True)) == [10, 20, 30, 40]
        assert GenerationJob.objects.filter(
            kind="convocation", subject_key=f"governance.meeting:{meeting.pk}"
        ).exists()
        assert JournalEntry.objects.filter(action=JournalAction.MEETING_CONVENED, groupement=groupement).exists()

    def test_convocation_fourteen_days_ahead_is_refused(self):
        groupement, _ = groupement_with_members()
        meeting = services.meeting_create(groupement=groupement, scheduled_at=at(14), place="Guéret")
        services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget 2027")
        with pytest.raises(BusinessRuleError, match=r"au moins 15 jours.*R\. 312-194-20"):
            services.meeting_convene(meeting=meeting)

    def test_the_convention_in_force_on_the_meeting_date_sets_the_delay(self):
        groupement, _ = groupement_with_members()
        version(groupement, convocation_days=10)
        meeting = services.meeting_create(groupement=groupement, scheduled_at=at(11), place="Guéret")
        services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget 2027")
        services.meeting_convene(meeting=meeting)

    def test_urgent_meeting_48_hours(self):
        groupement, _ = groupement_with_members()
        meeting = services.meeting_create(groupement=groupement, scheduled_at=at(1), place="Guéret", urgent=True)
        services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget")
        with pytest.raises(BusinessRuleError, match="48 heures"):
            services.meeting_convene(meeting=meeting)
        meeting2 = services.meeting_create(groupement=groupement, scheduled_at=at(3), place="Guéret", urgent=True)
        services.deliberation_add(meeting=meeting2, kind="BUDGET", title="Budget")
        services.meeting_convene(meeting=meeting2)

    def test_agenda_is_fixed_by_the_convocation(self):
        groupement, _ = groupement_with_members()
        meeting = convened_meeting(groupement)
        with pytest.raises(BusinessRuleError, match="ordre du jour est fixé"):
            services.deliberation_add(meeting=meeting, kind="OTHER", title="Divers")

    def test_a_user_without_the_right_is_refused(self):
        groupement, _ = groupement_with_members()
        with pytest.raises(RightRequired):
            services.meeting_create(groupement=groupement, scheduled_at=at(20), place="x", actor=UserFactory())


class TestAttendanceAndProxies:
    def test_represented_member_counts_for_quorum(self):
        groupement, m = groupement_with_members()
        meeting = convened_meeting(groupement)
        attend(meeting, m, [A, P, R, A], holders={2: 1})
        quorum = services.meeting_quorum(meeting)
        assert quorum.present == Decimal(50) and quorum.reached

    def test_second_proxy_for_the_same_holder_is_refused(self):
        groupement, m = groupement_with_members()
        meeting = convened_meeting(groupement)
        with pytest.raises(BusinessRuleError, match=r"qu'une procuration.*R\. 312-194-20"):
            attend(meeting, m, [P, R, R, A], holders={1: 0, 2: 0})

    def test_no_proxy_in_a_groupement_of_two(self):
        groupement, m = groupement_with_members((60, 40))
        meeting = convened_meeting(groupement)
        with pytest.raises(BusinessRuleError, match="plus de deux membres"):
            attend(meeting, m, [P, R], holders={1: 0})

    def test_portal_proxy_before_the_meeting_only(self):
        groupement, m = groupement_with_members()
        meeting = services.meeting_create(groupement=groupement, scheduled_at=at(20), place="Guéret")
        services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget")
        services.meeting_convene(meeting=meeting)
        services.proxy_give(meeting=meeting, membership=m[3], holder=m[0])
        with pytest.raises(BusinessRuleError, match="détient déjà la procuration"):
            services.proxy_give(meeting=meeting, membership=m[2], holder=m[0])
        with pytest.raises(BusinessRuleError, match="lui-même"):
            services.proxy_give(meeting=meeting, membership=m[2], holder=m[2])
        services.proxy_give(meeting=meeting, membership=m[3], holder=None)
        assert meeting.attendances.get(membership=m[3]).status == A

    def test_attendance_before_the_meeting_starts_is_refused(self):
        groupement, m = groupement_with_members()
        meeting = services.meeting_create(groupement=groupement, scheduled_at=at(20), place="Guéret")
        services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget")
        services.meeting_convene(meeting=meeting)
        with pytest.raises(BusinessRuleError, match="n'a pas commencé"):
            attend(meeting, m, [P, P, P, P])


def _vote(deliberation, m, choices):
    return services.votes_record(
        deliberation=deliberation, choices={x.pk: c for x, c in zip(m, choices, strict=False) if c}
    )


class TestOutcomesAndEffects:
    def test_budget_adopted_by_majority_of_votes_present(self):
        groupement, m = groupement_with_members()
        meeting = convened_meeting(groupement)
        attend(meeting, m, [P, P, P, A])
        item = meeting.deliberations.get()
        result = _vote(item, m, ["FOR", "FOR", "AGAINST", None])
        assert result.adopted and result.base == Decimal(90)
        services.meeting_close(meeting=meeting)
        item.refresh_from_db()
        assert item.outcome == Outcome.ADOPTED
        assert item.outcome_label.startswith("adoptée : 70 voix sur 90, majorité des voix des membres présents")
        assert JournalEntry.objects.filter(action=JournalAction.DELIBERATION_ADOPTED, groupement=groupement).exists()
        assert GenerationJob.objects.filter(kind="minutes", subject_key=f"governance.meeting:{meeting.pk}").exists()

    def test_admission_adopted_unanimously_admits_through_the_members_service(self):
        groupement, m = groupement_with_members()
        candidate = LegalEntityFactory()
        meeting = convened_meeting(
            groupement,
            kinds=("ADMISSION",),
            candidate_entity=candidate,
            candidate_category="OPTIONAL",
            candidate_voting_rights=Decimal(5),
            candidate_contribution_share=Decimal(5),
            effective_on=timezone.localdate(),
        )
        attend(meeting, m, [P, P, P, P])
        _vote(meeting.deliberations.get(), m, ["FOR"] * 4)
        services.meeting_close(meeting=meeting)
        admitted = Membership.objects.get(groupement=groupement, legal_entity=candidate)
        assert admitted.admission_act.startswith("Délibération n° 1 de l'assemblée générale")

    def test_admission_with_one_abstention_is_rejected_and_admits_nobody(self):
        groupement, m = groupement_with_members()
        candidate = LegalEntityFactory()
        meeting = convened_meeting(
            groupement,
            kinds=("ADMISSION",),
            candidate_entity=candidate,
            candidate_category="OPTIONAL",
            candidate_voting_rights=Decimal(5),
            candidate_contribution_share=Decimal(5),
            effective_on=timezone.localdate(),
        )
        attend(meeting, m, [P, P, P, P])
        _vote(meeting.deliberations.get(), m, ["FOR", "FOR", "FOR", "ABSTAIN"])
        services.meeting_close(meeting=meeting)
        assert not Membership.objects.filter(legal_entity=candidate).exists()
        assert meeting.deliberations.get().outcome == Outcome.REJECTED

    def test_exclusion_without_the_member_concerned(self):
        groupement, m = groupement_with_members()
        meeting = convened_meeting(
            groupement,
            kinds=("EXCLUSION",),
            concerned_membership=m[3],
            hearing_on=timezone.localdate() - datetime.timedelta(days=30),
        )
        attend(meeting, m, [P, P, P, P])
        item = meeting.deliberations.get()
        with pytest.raises(BusinessRuleError, match="ne prend pas part au vote"):
            _vote(item, m, ["FOR", "FOR", "AGAINST", "AGAINST"])
        result = _vote(item, m, ["FOR", "FOR", "AGAINST", "NOT_VOTING"])
        assert result.adopted and result.base == Decimal(90) and result.votes_for == Decimal(70)
        services.meeting_close(meeting=meeting)
        m[3].refresh_from_db()
        assert m[3].leave_reason == LeaveReason.EXCLUSION

    def test_no_quorum_decides_nothing_then_second_call_decides_whatever_the_attendance(self):
        groupement, m = groupement_with_members()
        meeting = convened_meeting(groupement, days_ago=3)
        attend(meeting, m, [A, A, P, P])
        with pytest.raises(BusinessRuleError, match="quorum non atteint"):
            _vote(meeting.deliberations.get(), m, [None, None, "FOR", "FOR"])
        services.meeting_close(meeting=meeting)
        assert meeting.quorum_reached is False
        assert meeting.deliberations.get().outcome == Outcome.NOT_DECIDED
        with pytest.raises(BusinessRuleError, match="15 jours"):
            services.meeting_second_call(first=meeting, scheduled_at=at(13), place="Guéret")
        second = services.meeting_second_call(first=meeting, scheduled_at=at(-2), place="Guéret")
        assert second.deliberations.count() == 1
        services.meeting_convene(meeting=second, sent_at=at(-3, hour=8) - datetime.timedelta(days=15))
        attend(second, m, [A, A, A, P])
        result = _vote(second.deliberations.get(), m, [None, None, None, "FOR"])
        assert result.adopted

    def test_closed_meeting_is_frozen(self):
        groupement, m = groupement_with_members()
        meeting = convened_meeting(groupement)
        attend(meeting, m, [P, P, P, P])
        _vote(meeting.deliberations.get(), m, ["FOR"] * 4)
        services.meeting_close(meeting=meeting)
        with pytest.raises(BusinessRuleError, match="est close"):
            attend(meeting, m, [A, A, A, A])
        with pytest.raises(BusinessRuleError, match="est close"):
            _vote(meeting.deliberations.get(), m, ["AGAINST"] * 4)

    def test_outcome_never_changes_when_rights_change_after_the_meeting(self):
        groupement, m = groupement_with_members()
        meeting = convened_meeting(groupement)
        attend(meeting, m, [P, P, P, P])
        item = meeting.deliberations.get()
        _vote(item, m, ["AGAINST", "FOR", "FOR", "FOR"])
        services.meeting_close(meeting=meeting)
        item.refresh_from_db()
        before = (item.outcome, item.votes_for, item.votes_base)
        membership_terms_change(
            membership=m[0],
            valid_from=timezone.localdate(),
            voting_rights=Decimal(1),
            contribution_share=Decimal(1),
            act="Avenant",
        )
        services.deliberation_outcome_compute(deliberation=item)
        item.refresh_from_db()
        assert (
            (item.outcome, item.votes_for, item.votes_base) == before == (Outcome.ADOPTED, Decimal(60), Decimal(100))
        )

    def test_convention_change_adopted_creates_the_avenant(self):
        groupement, m = groupement_with_members()
        version(groupement)
        meeting = convened_meeting(
            groupement, kinds=("CONVENTION_CHANGE",), description="Délai de convocation : 10 jours"
        )
        attend(meeting, m, [P, P, P, P])
        _vote(meeting.deliberations.get(), m, ["FOR"] * 4)
        services.meeting_close(meeting=meeting)
        avenant = ConventionVersion.objects.get(groupement=groupement, number=1)
        assert avenant.adopted_by == meeting.deliberations.get() and "10 jours" in avenant.changes

    def test_unvoted_deliberation_prevents_closing(self):
        groupement, m = groupement_with_members()
        meeting = convened_meeting(groupement)
        attend(meeting, m, [P, P, P, P])
        with pytest.raises(BusinessRuleError, match="Enregistrez les votes"):
            services.meeting_close(meeting=meeting)


class TestDirector:
    def _proposal(self):
        groupement, m = groupement_with_members()
        meeting = convened_meeting(groupement, kinds=("DIRECTOR_PROPOSAL",), director_candidate="Mme Claire Martin")
        attend(meeting, m, [P, P, P, P])
        _vote(meeting.deliberations.get(), m, ["FOR"] * 4)
        services.meeting_close(meeting=meeting)
        return groupement, DirectorNomination.objects.get(groupement=groupement)

    def test_full_file_in_order(self):
        from members.models import Departement

        groupement, nomination = self._proposal()
        today = timezone.localdate()
        with pytest.raises(BusinessRuleError, match="après l'avis du président du conseil départemental"):
            services.director_decision_record(
                nomination=nomination, decision="NOMINATED", decision_on=today, reference="Arrêté 1"
            )
        services.director_opinion_record(
            nomination=nomination, departement=Departement.objects.get(code="23"), opinion="FAVOURABLE", given_on=today
        )
        services.director_decision_record(
            nomination=nomination, decision="NOMINATED", decision_on=today, reference="Arrêté ARS 2027-1"
        )
        with pytest.raises(BusinessRuleError, match="D3S"):
            services.director_mandate_start(nomination=nomination, start=today)
        services.director_qualification_record(nomination=nomination, corps="D3S", since=datetime.date(2015, 1, 1))
        services.director_mandate_start(nomination=nomination, start=today)
        other = services.director_interim_open(groupement=groupement, candidate_name="M. Paul Durand")
        services.director_decision_record(nomination=other, decision="NOMINATED", decision_on=today, reference="A2")
        services.director_qualification_record(nomination=other, corps="D3S", since=datetime.date(2010, 1, 1))
        with pytest.raises(BusinessRuleError, match="un seul directeur à la fois"):
            services.director_mandate_start(nomination=other, start=today)

    def test_opinion_from_another_departement_is_refused(self):
        from members.models import Departement

        _, nomination = self._proposal()
        with pytest.raises(BusinessRuleError, match="Département"):
            services.director_opinion_record(
                nomination=nomination,
                departement=Departement.objects.get(code="48"),
                opinion="FAVOURABLE",
                given_on=timezone.localdate(),
            )

    def test_director_proposal_in_a_gcsms_is_refused(self):
        groupement, _ = groupement_with_members(kind="GCSMS")
        meeting = services.meeting_create(groupement=groupement, scheduled_at=at(20), place="x")
        with pytest.raises(BusinessRuleError, match="administrateur"):
            services.deliberation_add(meeting=meeting, kind="DIRECTOR_PROPOSAL", title="x", director_candidate="y")

    def test_gcsms_administrator_elected_for_three_years(self):
        groupement, m = groupement_with_members(kind="GCSMS")
        meeting = convened_meeting(
            groupement, kinds=("ADMINISTRATOR_ELECTION",), director_candidate="Mme Roux", concerned_membership=m[0]
        )
        attend(meeting, m, [P, P, P, P])
        _vote(meeting.deliberations.get(), m, ["FOR"] * 4)
        services.meeting_close(meeting=meeting)
        mandate = groupement.administrator_mandates.get()
        assert mandate.end.year - mandate.start.year == 3


def test_convocation_email_sent_by_the_worker_through_the_mail_service(
    user_with_role, smtp_server, django_capture_on_commit_callbacks
):
    """A real SMTP server on loopback receives one e-mail per representative, sent through core.mail
    (the groupement in the subject, the agenda and the proxy rule of R. 312-194-20 in the text)."""
    from accounts.enums import Role
    from governance.mailing import convocation_emails_send
    from tests.members.factories import EstablishmentFactory

    groupement, m = groupement_with_members()
    establishment = EstablishmentFactory(legal_entity=m[0].legal_entity)
    user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment, email="dir@example.fr")
    meeting = services.meeting_create(groupement=groupement, scheduled_at=at(20), place="Guéret")
    services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget 2027")
    services.meeting_convene(meeting=meeting)
    smtp_server.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert convocation_emails_send(meeting.pk) == 1
    [received] = [r for r in smtp_server.received if r.rcpt_tos == ["dir@example.fr"]]
    assert received.subject.startswith(f"[{groupement.name}] Convocation")
    assert "Budget 2027" in received.text and "R. 312-194-20" in received.text
    assert "Budget 2027" in received.html
