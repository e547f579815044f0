import time

from django.contrib import messages
from django.contrib.auth import views as auth_views

from accounts import services
from accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        now = time.time()
        self.request.session["login_at"] = now
        self.request.session["last_activity"] = now
        self.request.session.save()
        services.session_opened(user=form.get_user(), session_key=self.request.session.session_key)
        return response


class LogoutView(auth_views.LogoutView):
    """Sign out, then back to the login page with a confirmation."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "Vous êtes déconnecté.")
        return response


login_view = LoginView.as_view()
logout_view = LogoutView.as_view()
logout_view.allowed_to_readers = True
