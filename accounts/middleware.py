import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

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


class TwoFactorMiddleware:
    """Roles of ``OTP_REQUIRED_ROLES`` give a second factor at each sign-in (TOTP code or backup code).

    Until the session is verified (django-otp's ``is_verified``), such a user reaches only the pages
    marked ``otp_exempt`` (enrol, verify, sign out) and public pages; anything else redirects to
    enrolment (no device yet) or to the code page. The answer is kept in the session once known.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not settings.OTP_REQUIRED_ROLES or not user.is_authenticated or getattr(view_func, "otp_exempt", False):
            return None
        if not getattr(view_func, "login_required", True):
            return None  # public pages (login, reset, invitation link)
        if getattr(user, "is_verified", lambda: False)():
            return None
        from accounts.services import otp_required

        needed = request.session.get("otp_required")
        if needed is None:
            needed = otp_required(user)
            request.session["otp_required"] = needed
        if not needed:
            return None
        from django_otp import user_has_device

        target = "accounts:otp_verify" if user_has_device(user) else "accounts:otp_enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
