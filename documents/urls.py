from django.urls import path

from documents import views


app_name = "documents"
urlpatterns = [
    path("groupement/<slug:slug>/documents/", views.document_list, name="document_list"),
    path("groupement/<slug:slug>/documents/demander/", views.document_request, name="document_request"),
    path("groupement/<slug:slug>/documents/taches/<int:pk>/", views.job_detail, name="job_detail"),
    path("groupement/<slug:slug>/documents/<int:pk>/telecharger/", views.document_download, name="document_download"),
    path("groupement/<slug:slug>/documents/<int:pk>/finaliser/", views.document_finalise, name="document_finalise"),
]
