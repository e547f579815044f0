"""Governance pages: the three audiences, forms through the services, query counts constant in rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.enums import Role
from governance import services
from governance.enums import MeetingStatus, Outcome
from governance.models import Meeting
from members.models import Region
from tests.governance.factories import at, attend, convened_meeting, groupement_with_members
from tests.members.factories import EstablishmentFactory


pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(user_with_role):
    groupement, members = groupement_with_members()
    director = user_with_role(Role.GROUPEMENT_DIRECTOR, groupement)
    return groupement, members, director


def count_queries(client, url) -> int:
    client.get(url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_home_query_count_is_constant_in_meetings(client, setup, django_assert_num_queries):
    groupement, _members, director = setup
    client.force_login(director)
    url = reverse("governance:home", args=[groupement.slug])
    services.meeting_create(groupement=groupement, scheduled_at=at(30), place="Guéret")
    one = count_queries(client, url)
    for day in range(31, 40):
        services.meeting_create(groupement=groupement, scheduled_at=at(day), place="Guéret")
    with django_assert_num_queries(one):
        response = client.get(url)
    assert response.content.decode().count("gouvernance/seances/") >= 10


def test_meeting_detail_query_count_is_constant_in_members(client, user_with_role, django_assert_num_queries):
    small, small_members = groupement_with_members((40, 30, 20))
    big, big_members = groupement_with_members(tuple(range(1, 16)))
    user = user_with_role(Role.GROUPEMENT_DIRECTOR, small)
    from accounts.services import role_grant

    role_grant(user=user, role=Role.GROUPEMENT_DIRECTOR, scope_object=big)
    client.force_login(user)
    counts = []
    for groupement, members in ((small, small_members), (big, big_members)):
        meeting = convened_meeting(groupement, kinds=("BUDGET", "ACCOUNTS"))
        attend(meeting, members, ["PRESENT"] * len(members))
        services.votes_record(deliberation=meeting.deliberations.first(), choices={m.pk: "FOR" for m in members})
        counts.append(count_queries(client, reverse("governance:meeting_detail", args=[groupement.slug, meeting.pk])))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        client.get(reverse("governance:meeting_detail", args=[big.slug, meeting.pk]))


def test_convention_page_query_count_is_constant_in_versions(client, setup, django_assert_num_queries):
    import datetime

    groupement, _members, director = setup
    client.force_login(director)
    url = reverse("governance:convention", args=[groupement.slug])
    services.convention_version_record(
        groupement=groupement,
        signed_on=datetime.date(2025, 1, 1),
        effective_on=datetime.date(2025, 1, 1),
        adoption_act="Signée",
    )
    one = count_queries(client, url)
    for year in range(2026, 2030):
        services.convention_version_record(
            groupement=groupement,
            signed_on=datetime.date(year, 1, 1),
            effective_on=datetime.date(year, 1, 1),
            adoption_act="Délibération",
            changes=f"Avenant {year}",
        )
    with django_assert_num_queries(one):
        client.get(url)


def test_a_whole_meeting_through_the_pages(client, setup):
    groupement, members, director = setup
    client.force_login(director)
    base = f"/groupement/{groupement.slug}/gouvernance/"
    response = client.post(
        f"{base}seances/nouvelle/", {"scheduled_at": at(10).strftime("%Y-%m-%dT%H:%M"), "place": "Guéret"}
    )
    meeting = Meeting.objects.get(groupement=groupement)
    client.post(f"{base}seances/{meeting.pk}/ordre-du-jour/", {"kind": "BUDGET", "title": "Budget 2027"})
    response = client.post(f"{base}seances/{meeting.pk}/convoquer/", follow=True)
    assert "au moins 15 jours avant la séance" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.DRAFT
    Meeting.objects.filter(pk=meeting.pk).update(scheduled_at=at(-1))
    services.meeting_convene(meeting=meeting, sent_at=at(-20))
    data = {}
    for i, m in enumerate(members):
        data[f"status_{m.pk}"] = "REPRESENTED" if i == 3 else "PRESENT"
        data[f"holder_{m.pk}"] = str(members[0].pk) if i == 3 else ""
        data[f"rep_{m.pk}"] = f"Représentant {i}"
    assert client.post(f"{base}seances/{meeting.pk}/presences/", data).status_code == 302
    deliberation = meeting.deliberations.get()
    votes = {f"d{deliberation.pk}-vote_{m.pk}": "FOR" for m in members}
    votes[f"d{deliberation.pk}-vote_{members[1].pk}"] = "AGAINST"
    assert client.post(f"{base}seances/{meeting.pk}/votes/{deliberation.pk}/", votes).status_code == 302
    client.post(f"{base}seances/{meeting.pk}/clore/")
    deliberation.refresh_from_db()
    assert deliberation.outcome == Outcome.ADOPTED
    page = client.get(f"{base}seances/{meeting.pk}/").content.decode()
    assert "adoptée : 70 voix sur 100" in page and "figée" in page


def test_two_proxies_to_one_holder_are_refused_on_the_page(client, setup):
    groupement, members, director = setup
    client.force_login(director)
    meeting = convened_meeting(groupement)
    data = {}
    for i, m in enumerate(members):
        data[f"status_{m.pk}"] = "REPRESENTED" if i > 1 else "PRESENT"
        data[f"holder_{m.pk}"] = str(members[0].pk) if i > 1 else ""
        data[f"rep_{m.pk}"] = ""
    response = client.post(f"/groupement/{groupement.slug}/gouvernance/seances/{meeting.pk}/presences/", data)
    assert response.status_code == 400
    assert "qu&#x27;une procuration" in response.content.decode()


def test_ars_reader_reads_and_cannot_write(client, user_with_role, setup):
    groupement, _members, _director = setup
    reviewer = user_with_role(Role.ARS_REVIEWER, Region.objects.get(code="75"))
    meeting = convened_meeting(groupement)
    client.force_login(reviewer)
    assert client.get(reverse("governance:meeting_detail", args=[groupement.slug, meeting.pk])).status_code == 200
    assert client.get(reverse("governance:convention", args=[groupement.slug])).status_code == 200
    assert client.post(reverse("governance:meeting_close", args=[groupement.slug, meeting.pk])).status_code == 403


def test_an_outsider_is_refused(client, user_with_role, setup):
    groupement, _, _ = setup
    other, _ = groupement_with_members((1, 1, 1))
    outsider = user_with_role(Role.GROUPEMENT_DIRECTOR, other)
    client.force_login(outsider)
    assert client.get(reverse("governance:home", args=[groupement.slug])).status_code == 403


def test_portal_shows_my_convocation_and_gives_a_proxy(client, user_with_role, setup):
    groupement, members, _director = setup
    establishment = EstablishmentFactory(legal_entity=members[3].legal_entity)
    member_director = user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment)
    meeting = services.meeting_create(groupement=groupement, scheduled_at=at(20), place="Guéret")
    services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget 2027")
    services.meeting_convene(meeting=meeting)
    client.force_login(member_director)
    page = client.get(reverse("members:portal")).content.decode()
    assert "Mes convocations" in page and str(meeting) in page
    attendance = meeting.attendances.get(membership=members[3])
    client.post(reverse("governance:portal_proxy", args=[attendance.pk]), {"holder": members[0].pk})
    attendance.refresh_from_db()
    assert attendance.proxy_holder_id == members[0].pk
    other = meeting.attendances.get(membership=members[2])
    assert client.post(reverse("governance:portal_proxy", args=[other.pk]), {"holder": ""}).status_code == 403


def test_director_page_query_count_is_constant_in_files(client, setup, django_assert_num_queries):
    groupement, _, director = setup
    client.force_login(director)
    url = reverse("governance:director", args=[groupement.slug])
    services.director_interim_open(groupement=groupement, candidate_name="M. Un")
    one = count_queries(client, url)
    for index in range(5):
        services.director_interim_open(groupement=groupement, candidate_name=f"M. {index}")
    with django_assert_num_queries(one):
        response = client.get(url)
    assert response.content.decode().count("intérim") >= 6


def test_portal_query_count_is_constant_in_convocations(client, user_with_role, setup, django_assert_num_queries):
    groupement, members, _ = setup
    establishment = EstablishmentFactory(legal_entity=members[0].legal_entity)
    member_director = user_with_role(Role.ESTABLISHMENT_DIRECTOR, establishment)
    client.force_login(member_director)

    def convene(day):
        meeting = services.meeting_create(groupement=groupement, scheduled_at=at(day), place="Guéret")
        services.deliberation_add(meeting=meeting, kind="BUDGET", title="Budget")
        services.meeting_convene(meeting=meeting)

    convene(20)
    one = count_queries(client, reverse("members:portal"))
    for day in range(21, 25):
        convene(day)
    with django_assert_num_queries(one):
        client.get(reverse("members:portal"))
