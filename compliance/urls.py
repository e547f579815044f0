from django.urls import path

from compliance import views


app_name = "compliance"
urlpatterns = [
    path("", views.ars_home, name="ars_home"),
    path("couverture/", views.coverage, name="coverage"),
]
