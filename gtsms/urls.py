from django.contrib import admin
from django.urls import include, path

from gtsms import views


admin.site.site_header = "gtsms — administration de la plateforme"
admin.site.site_title = "gtsms"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("comptes/", include("accounts.urls")),
    path("", include("members.urls")),
    path("", include("accounts.urls_groupement")),
    path("", include("documents.urls")),
    path("groupement/<slug:slug>/fonctions/", include("functions.urls")),
    path("", include("governance.urls")),
    path("plateforme/finess/", include("members.finess.urls")),
    path("ars/", include("compliance.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "gtsms.errors.permission_denied"
handler404 = "gtsms.errors.page_not_found"
handler500 = "gtsms.errors.server_error"
