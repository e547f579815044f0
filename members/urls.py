from django.urls import path

from members import views


app_name = "members"
urlpatterns = [
    path("portail/", views.portal, name="portal"),
    path("groupement/", views.groupement_list, name="groupement_list"),
    path("groupement/<slug:slug>/", views.groupement_dashboard, name="groupement_dashboard"),
]
