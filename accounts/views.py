import time
from base64 import b32encode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts import invitations, selectors, services
from accounts.enums import Role
from accounts.forms import InvitationAcceptForm, InvitationForm, LoginForm, OtpTokenForm, PasswordResetRequestForm
from accounts.models import Invitation, RoleAssignment, User
from accounts.selectors import user_roles
from core.exceptions import BusinessRuleError
from core.perms import is_platform_admin, require
from members.access import get_groupement_for
from members.models import Departement, Region


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
        services.session_opened(
            user=form.get_user(),
            session_key=self.request.session.session_key,
            user_agent=self.request.headers.get("User-Agent", ""),
            ip_address=self.request.META.get("REMOTE_ADDR") or None,
        )
        return response


class LogoutView(auth_views.LogoutView):
    """Sign out, then back to the login page with a confirmation."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "Vous êtes déconnecté.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link (Django's view); the same answer whether the address exists or not."""

    form_class = PasswordResetRequestForm
    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the link (Django's view: single use, ``PASSWORD_RESET_TIMEOUT``).

    No sign-in here: the person signs in afterwards, so the lockout (django-axes) still applies.
    """

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user, how="reset")
        return response


login_view = LoginView.as_view()
password_reset_view = PasswordResetView.as_view()
password_reset_done_view = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/password_reset_done.html"
)
password_reset_confirm_view = PasswordResetConfirmView.as_view()
password_reset_complete_view = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)
logout_view = LogoutView.as_view()
logout_view.allowed_to_readers = True


# People and invitations ----------------------------------------------------------------------------


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return default


def _people_rows(assignments, abilities, user) -> list[dict]:
    """One row per active role, with its ready-made "may revoke" boolean (no check per row)."""
    revocable = abilities["revocable_roles"]
    return [{"assignment": a, "can_revoke": a.role in revocable and a.user_id != user.pk} for a in assignments]


def _invitation_rows(pending, abilities) -> list[dict]:
    manageable = abilities["revocable_roles"]
    return [{"invitation": i, "expired": i.is_expired, "can_manage": i.role in manageable} for i in pending]


def _invite(request, form, *, scope_for, groupement=None):
    """Run the invitation service from a valid form; ``True`` when sent (the form carries the error otherwise)."""
    role = Role(form.cleaned_data["role"])
    try:
        invitation = services.invitation_create(
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            role=role,
            scope_object=scope_for(role, form.cleaned_data),
            groupement=groupement,
            actor=request.user,
        )
    except BusinessRuleError as error:
        form.add_error(None, error)
        return False
    messages.success(
        request,
        f"Invitation envoyée à {invitation.email} ({role.label.lower()}) : le lien est valable "
        f"{settings.INVITATION_VALID_DAYS} jours.",
    )
    return True


def groupement_people(request, slug: str):
    """The people of a groupement: roles on it and on its members' establishments, open invitations."""
    groupement = get_groupement_for(request, slug)
    abilities = invitations.groupement_people_abilities(request.user, groupement, assignments=user_roles(request))
    form = None
    if abilities["can_invite"]:
        form = InvitationForm(
            request.POST if request.method == "POST" else None,
            roles=abilities["invitable_roles"],
            establishments=selectors.groupement_member_establishments(groupement=groupement),
        )
    if request.method == "POST":
        require(form is not None, "Vous ne pouvez inviter personne dans ce groupement.")
        if form.is_valid() and _invite(
            request,
            form,
            groupement=groupement,
            scope_for=lambda role, data: data["establishment"] if role == Role.ESTABLISHMENT_DIRECTOR else groupement,
        ):
            return redirect("people:groupement_people", slug=groupement.slug)
    context = {
        "groupement": groupement,
        "abilities": {"can_invite": abilities["can_invite"]},
        "people": _people_rows(selectors.groupement_people(groupement=groupement), abilities, request.user),
        "pending": _invitation_rows(selectors.groupement_invitations(groupement=groupement), abilities),
        "form": form,
        "here": request.path,
    }
    return render(request, "accounts/groupement_people.html", context)


def region_people(request, code: str):
    """The ARS agents of a région and the readers of its départements, and their open invitations."""
    region = get_object_or_404(Region, code=code)
    assignments = user_roles(request)
    is_agent = any(a.role == Role.ARS_REVIEWER and a.region_id == region.pk for a in assignments)
    require(is_agent or is_platform_admin(request.user), "Cette page est réservée aux agents de l'ARS de la région.")
    abilities = invitations.region_people_abilities(request.user, region, assignments=assignments)
    form = None
    if abilities["can_invite"]:
        form = InvitationForm(
            request.POST if request.method == "POST" else None,
            roles=abilities["invitable_roles"],
            departements=Departement.objects.filter(region=region).order_by("code"),
        )
    if request.method == "POST":
        require(form is not None, "Vous ne pouvez inviter personne dans cette région.")
        if form.is_valid() and _invite(
            request,
            form,
            scope_for=lambda role, data: data["departement"] if role == Role.DEPARTEMENT_READER else region,
        ):
            return redirect("accounts:region_people", code=region.pk)
    context = {
        "region": region,
        "abilities": {"can_invite": abilities["can_invite"]},
        "people": _people_rows(selectors.region_people(region=region), abilities, request.user),
        "pending": _invitation_rows(selectors.region_invitations(region=region), abilities),
        "form": form,
        "here": request.path,
    }
    return render(request, "accounts/region_people.html", context)


region_people.allowed_to_readers = True  # ARS agents invite their colleagues; the service checks the table


@require_POST
def invitation_resend(request, public_id):
    invitation = get_object_or_404(
        Invitation.objects.select_related("groupement", "establishment", "region", "departement"), public_id=public_id
    )
    try:
        services.invitation_resend(invitation=invitation, actor=request.user)
    except BusinessRuleError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation renvoyée à {invitation.email} avec un nouveau lien.")
    return redirect(_safe_next(request, reverse("home")))


invitation_resend.allowed_to_readers = True


@require_POST
def invitation_cancel(request, public_id):
    invitation = get_object_or_404(
        Invitation.objects.select_related("groupement", "establishment", "region", "departement"), public_id=public_id
    )
    try:
        services.invitation_cancel(invitation=invitation, actor=request.user)
    except BusinessRuleError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"L'invitation de {invitation.email} est annulée : son lien ne fonctionne plus.")
    return redirect(_safe_next(request, reverse("home")))


invitation_cancel.allowed_to_readers = True


@require_POST
def role_revoke(request, assignment_id: int):
    assignment = get_object_or_404(
        RoleAssignment.objects.active().select_related("user", "groupement", "establishment", "region", "departement"),
        pk=assignment_id,
    )
    services.role_revoke(assignment=assignment, actor=request.user)
    messages.success(
        request,
        f"{assignment.user} n'a plus le rôle « {assignment.get_role_display()} » sur {assignment.scope_object}.",
    )
    return redirect(_safe_next(request, reverse("home")))


role_revoke.allowed_to_readers = True


@login_not_required
def invitation_accept(request, token: str):
    """The page of an invitation link: a new account sets its password; an existing one signs in and accepts."""
    invitation = services.invitation_from_token(token)
    try:
        services.invitation_usable(invitation)
    except services.InvitationInvalid as error:
        return render(request, "accounts/invitation_invalid.html", {"reason": error.messages[0]}, status=410)
    existing = User.objects.filter(email=invitation.email).first()
    if existing is not None and not existing.is_active:
        reason = "Le compte de cette adresse est désactivé : adressez-vous à la personne qui vous a invité."
        return render(request, "accounts/invitation_invalid.html", {"reason": reason}, status=410)
    if request.user.is_authenticated and request.user.email.lower() != invitation.email:
        return render(request, "accounts/invitation_wrong_account.html", {"invitation": invitation}, status=403)
    context = {"invitation": invitation, "scope": invitation.scope_object, "existing": existing is not None}
    if existing is not None:
        if not request.user.is_authenticated:
            messages.info(
                request, "Un compte existe déjà pour cette adresse : connectez-vous pour accepter l'invitation."
            )
            return redirect_to_login(request.get_full_path())
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=request.user)
                request.session.pop("otp_required", None)  # the new role may ask for a second factor
            except services.InvitationInvalid as error:
                return render(request, "accounts/invitation_invalid.html", {"reason": error.messages[0]}, status=410)
            messages.success(request, f"Vous avez maintenant le rôle « {invitation.get_role_display()} ».")
            return redirect("home")
        return render(request, "accounts/invitation_accept.html", context)
    form = InvitationAcceptForm(
        request.POST if request.method == "POST" else None,
        email=invitation.email,
        initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except services.InvitationInvalid as error:
            return render(request, "accounts/invitation_invalid.html", {"reason": error.messages[0]}, status=410)
        except BusinessRuleError as error:
            form.add_error("password1", error)
        else:
            messages.success(
                request, "Votre compte est créé. Connectez-vous avec votre adresse et votre mot de passe."
            )
            return redirect("accounts:login")
    context["form"] = form
    return render(request, "accounts/invitation_accept.html", context)


invitation_accept.allowed_to_readers = True  # an ARS agent may accept a new role; the service checks the rest


# Two-factor sign-in ----------------------------------------------------------------------------------


def _qr_data_uri(text: str) -> str:
    """The QR code of ``text`` as an SVG data URI, rendered on the server (no script, CSP ``img-src data:``)."""
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


def otp_enrol(request):
    """Enrol an authenticator app: QR code and secret, then a first code; the backup codes are shown once."""
    from django_otp import user_has_device

    if user_has_device(request.user):
        return redirect(_safe_next(request, reverse("home")) if request.user.is_verified() else "accounts:otp_verify")
    device = services.otp_enrol_start(user=request.user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.otp_enrol_confirm(user=request.user, device=device, token=form.cleaned_data["token"])
        except BusinessRuleError as error:
            form.add_error("token", error)
        else:
            otp_login(request, device)
            return render(
                request,
                "accounts/otp_backup_codes.html",
                {"codes": codes, "next": _safe_next(request, reverse("home"))},
            )
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr": _qr_data_uri(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "next": _safe_next(request, reverse("home")),
    }
    return render(request, "accounts/otp_enrol.html", context)


def otp_verify(request):
    """Give the code of the authenticator app (or a backup code) after the password."""
    from django_otp import match_token, user_has_device

    if not user_has_device(request.user):
        return redirect("accounts:otp_enrol")
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].replace(" ", ""))
        if device is None:
            form.add_error(
                "token", "Ce code n'est pas valable. Réessayez avec le code affiché maintenant, ou un code de secours."
            )
        else:
            otp_login(request, device)
            if device.__class__.__name__ == "StaticDevice":
                left = device.token_set.count()
                messages.warning(request, f"Code de secours utilisé : il vous en reste {left}.")
            return redirect(_safe_next(request, reverse("home")))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request, reverse("home"))})


otp_enrol.otp_exempt = otp_verify.otp_exempt = True
logout_view.otp_exempt = True


# Open sessions -------------------------------------------------------------------------------------


def session_list(request):
    """The user's open sessions: where and since when; end one, or all the others."""
    if request.method == "POST":
        current = request.session.session_key
        if request.POST.get("all_others"):
            ended = services.session_end(user=request.user, keep=current)
            messages.success(
                request,
                "Aucune autre session n'était ouverte." if not ended else f"Autres sessions fermées : {ended}.",
            )
        else:
            key = request.POST.get("session", "")
            if key == current or not services.session_end(user=request.user, session_key=key):
                messages.error(request, "Cette session n'existe pas ou plus (pour fermer celle-ci, déconnectez-vous).")
            else:
                messages.success(request, "La session est fermée.")
        return redirect("accounts:session_list")
    sessions = [
        {"session": s, "current": s.session_key == request.session.session_key}
        for s in selectors.user_open_sessions(user=request.user)
    ]
    return render(
        request,
        "accounts/session_list.html",
        {"sessions": sessions, "others": sum(not s["current"] for s in sessions)},
    )


session_list.allowed_to_readers = True  # ending one's own sessions is allowed to everyone
