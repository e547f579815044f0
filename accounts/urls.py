from django.urls import path

from accounts import views


app_name = "accounts"
urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("mot-de-passe/oubli/", views.password_reset_view, name="password_reset"),
    path("mot-de-passe/oubli/envoye/", views.password_reset_done_view, name="password_reset_done"),
    path("mot-de-passe/nouveau/<uidb64>/<token>/", views.password_reset_confirm_view, name="password_reset_confirm"),
    path("mot-de-passe/nouveau/fait/", views.password_reset_complete_view, name="password_reset_complete"),
    path("double-authentification/", views.otp_verify, name="otp_verify"),
    path("double-authentification/activer/", views.otp_enrol, name="otp_enrol"),
    path("sessions/", views.session_list, name="session_list"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("invitations/<uuid:public_id>/renvoyer/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<uuid:public_id>/annuler/", views.invitation_cancel, name="invitation_cancel"),
    path("roles/<int:assignment_id>/retirer/", views.role_revoke, name="role_revoke"),
    path("region/<str:code>/personnes/", views.region_people, name="region_people"),
]
