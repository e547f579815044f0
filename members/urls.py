from django.urls import path

from members import history, views


app_name = "members"
urlpatterns = [
    path("portail/", views.portal, name="portal"),
    path("groupement/", views.groupement_list, name="groupement_list"),
    path("groupement/<slug:slug>/", views.groupement_dashboard, name="groupement_dashboard"),
    path("groupement/<slug:slug>/historique/", history.groupement_history, name="groupement_history"),
    path("groupement/<slug:slug>/membres/", views.member_list, name="member_list"),
    path("groupement/<slug:slug>/membres/admettre/", views.member_admit, name="member_admit"),
    path("groupement/<slug:slug>/membres/export/", views.member_export, name="member_export"),
    path("groupement/<slug:slug>/membres/<int:membership_id>/", views.member_detail, name="member_detail"),
    path("groupement/<slug:slug>/membres/<int:membership_id>/retrait/", views.member_withdraw, name="member_withdraw"),
    path("groupement/<slug:slug>/membres/<int:membership_id>/exclusion/", views.member_exclude, name="member_exclude"),
    path("groupement/<slug:slug>/membres/<int:membership_id>/conditions/", views.member_terms, name="member_terms"),
    path(
        "groupement/<slug:slug>/membres/<int:membership_id>/historique/", history.member_history, name="member_history"
    ),
    path(
        "groupement/<slug:slug>/membres/<int:membership_id>/etablissements/<int:establishment_id>/historique/",
        history.establishment_history,
        name="establishment_history",
    ),
]
