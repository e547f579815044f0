from django.urls import path

from members.finess import views


app_name = "finess"
urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("<uuid:public_id>/", views.run_detail, name="run_detail"),
    path("<uuid:public_id>/fermetures/<int:index>/", views.run_closures, name="run_closures"),
]
