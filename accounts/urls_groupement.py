"""The "Personnes" page of a groupement, beside its other pages under /groupement/<slug>/."""

from django.urls import path

from accounts import views


app_name = "people"
urlpatterns = [
    path("groupement/<slug:slug>/personnes/", views.groupement_people, name="groupement_people"),
]
