"""Included under /groupement/<slug>/fonctions/ (gtsms/urls.py)."""

from django.urls import path

from functions import views


app_name = "functions"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("types/nouveau/", views.function_type_create, name="function_type_create"),
    path("nouvelle/", views.function_create, name="function_create"),
    path("repartition/", views.sharing, name="sharing_current"),
    path("repartition/<int:year>/", views.sharing, name="sharing"),
    path("repartition/<int:year>/document/", views.sharing_document, name="sharing_document"),
    path("<int:function_id>/", views.function_detail, name="function_detail"),
    path("<int:function_id>/modifier/", views.function_edit, name="function_edit"),
    path("<int:function_id>/adhesions/nouvelle/", views.subscribe, name="subscribe"),
    path("<int:function_id>/adhesions/<int:subscription_id>/fin/", views.unsubscribe, name="unsubscribe"),
    path("<int:function_id>/postes/nouveau/", views.post_create, name="post_create"),
    path("<int:function_id>/postes/<int:post_id>/heures/<int:year>/", views.post_hours, name="post_hours"),
    path("<int:function_id>/cle/<int:year>/", views.cost_key, name="cost_key"),
    path("<int:function_id>/couts/nouveau/", views.other_cost_add, name="other_cost_add"),
]
