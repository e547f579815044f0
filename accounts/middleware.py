import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from accounts.selectors import user_is_read_only


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SessionTimeoutMiddleware:
    """End a session after 30 minutes without a request, or 12 hours after sign-in (ASVS V3.3.2)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            last = session.get("last_activity", now)
            opened = session.get("login_at", now)
            if now - last > settings.SESSION_IDLE_TIMEOUT or now - opened > settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(request, "Votre session a expiré. Merci de vous reconnecter.")
                return redirect_to_login(request.get_full_path())
            if now - last > 30 or "login_at" not in session:
                session["last_activity"] = now
                session.setdefault("login_at", now)
        return self.get_response(request)


class ReadOnlyReviewerMiddleware:
    """Refuse every write (any method but GET, HEAD, OPTIONS) from ARS staff and département readers.

    Only signing out is allowed to them, so that they can end their session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return None
        if getattr(view_func, "allowed_to_readers", False):
            return None
        if user_is_read_only(request.user):
            raise PermissionDenied("Votre rôle donne un accès en lecture seule : aucune modification n'est possible.")
        return None
