"""Who passes each documents predicate, and the services checking the same predicates."""

import pytest

from accounts.enums import Role
from accounts.models import User
from core.enums import JournalAction
from core.models import JournalEntry
from core.perms import RightRequired, checker_for
from documents import perms, services
from documents.enums import DocumentStatus
from documents.models import Document, GenerationJob
from tests.accounts.factories import UserFactory
from tests.members.factories import EstablishmentFactory, GroupementFactory


pytestmark = pytest.mark.django_db


@pytest.fixture
def groupement(make_groupement):
    return make_groupement(members=1, establishments=1)


@pytest.fixture
def people(user_with_role, groupement):
    return {
        "director": user_with_role(Role.GROUPEMENT_DIRECTOR, groupement),
        "staff": user_with_role(Role.GROUPEMENT_STAFF, groupement),
        "other_director": user_with_role(Role.GROUPEMENT_DIRECTOR, GroupementFactory()),
        "site_director": user_with_role(Role.ESTABLISHMENT_DIRECTOR, EstablishmentFactory()),
        "ars": user_with_role(Role.ARS_REVIEWER, groupement.region),
        "admin": user_with_role(Role.PLATFORM_ADMIN),
        "nobody": UserFactory(),
    }


def passing(people, predicate, *args) -> set[str]:
    return {name for name, user in people.items() if predicate(checker_for(User.objects.get(pk=user.pk)), *args)}


def test_generate_documents(people, groupement):
    assert passing(people, perms.can_generate_documents, groupement) == {"director", "staff", "admin"}


def test_finalise_documents(people, groupement):
    assert passing(people, perms.can_finalise_documents, groupement) == {"director", "admin"}


def test_a_document_is_finalised_while_it_is_a_draft(people, groupement):
    draft, final = Document(status=DocumentStatus.DRAFT), Document(status=DocumentStatus.FINAL)
    assert passing(people, perms.can_finalise_document, groupement, draft) == {"director", "admin"}
    assert passing(people, perms.can_finalise_document, groupement, final) == set()


def test_abilities_are_the_predicates(people, groupement):
    staff = checker_for(User.objects.get(pk=people["staff"].pk))
    assert perms.document_abilities(staff, groupement) == {"generate": True, "finalise": False}


@pytest.mark.parametrize("who", ["other_director", "site_director", "ars", "nobody"])
def test_asking_for_a_document_needs_the_right_to_produce_them(people, groupement, who):
    with pytest.raises(RightRequired, match="produire les documents de ce groupement"):
        services.document_request(kind="members_list", groupement=groupement, actor=people[who], enqueue=False)
    assert not GenerationJob.objects.exists()
    assert not JournalEntry.objects.filter(action=JournalAction.DOCUMENT_REQUESTED).exists()


@pytest.mark.parametrize(("who", "final"), [("staff", False), ("director", True), ("admin", True), (None, True)])
def test_whoever_passes_the_predicates_and_the_platform_may_ask(people, groupement, who, final):
    actor = people[who] if who else None
    job = services.document_request(
        kind="members_list", groupement=groupement, final=final, actor=actor, enqueue=False
    )
    assert job.final is final


@pytest.mark.parametrize("who", ["staff", "other_director", "nobody"])
def test_finalising_needs_the_right_to_finalise(people, groupement, who):
    from documents import production

    job = services.document_request(kind="members_list", groupement=groupement, actor=None, enqueue=False)
    production.job_run(job.pk)
    draft = GenerationJob.objects.get(pk=job.pk).result_document
    with pytest.raises(RightRequired, match="droit de finaliser"):
        services.document_finalise(document=draft, actor=people[who], enqueue=False)
    assert not GenerationJob.objects.filter(finalises=draft).exists()
