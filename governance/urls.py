from django.urls import path

from governance import views


app_name = "governance"
G = "groupement/<slug:slug>/gouvernance/"
urlpatterns = [
    path(G, views.governance_home, name="home"),
    path(f"{G}seances/nouvelle/", views.meeting_create, name="meeting_create"),
    path(f"{G}seances/<int:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path(f"{G}seances/<int:meeting_id>/ordre-du-jour/", views.deliberation_add, name="deliberation_add"),
    path(f"{G}seances/<int:meeting_id>/convoquer/", views.meeting_convene, name="meeting_convene"),
    path(f"{G}seances/<int:meeting_id>/presences/", views.attendance_record, name="attendance_record"),
    path(f"{G}seances/<int:meeting_id>/votes/<int:deliberation_id>/", views.votes_record, name="votes_record"),
    path(f"{G}seances/<int:meeting_id>/clore/", views.meeting_close, name="meeting_close"),
    path(f"{G}seances/<int:meeting_id>/seconde-convocation/", views.meeting_second_call, name="meeting_second_call"),
    path(f"{G}convention/", views.convention, name="convention"),
    path(f"{G}convention/versions/", views.convention_version_add, name="convention_version_add"),
    path(
        f"{G}convention/<int:version_id>/transmission/", views.convention_transmission, name="convention_transmission"
    ),
    path(f"{G}convention/<int:version_id>/annexes/", views.convention_annex, name="convention_annex"),
    path(f"{G}directeur/", views.director, name="director"),
    path(f"{G}directeur/interim/", views.director_interim, name="director_interim"),
    path(f"{G}directeur/<int:nomination_id>/dossier/", views.director_file_request, name="director_file"),
    path(f"{G}directeur/<int:nomination_id>/<slug:step>/", views.director_step, name="director_step"),
    path("portail/procuration/<int:attendance_id>/", views.portal_proxy, name="portal_proxy"),
]
