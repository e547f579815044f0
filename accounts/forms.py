from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError

from accounts.enums import Role
from accounts.models import User


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Adresse électronique",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label="Mot de passe", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": "Adresse électronique ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé.",
    }

    def clean_username(self):
        return self.cleaned_data["username"].lower()


class InvitationForm(forms.Form):
    """Invite a person: address, name, the role among those the inviter may give, and its object when needed.

    ``roles``: the roles offered (``accounts.invitations``); ``establishments`` or ``departements``: the
    objects offered for the establishment director or département reader role.
    """

    email = forms.EmailField(
        label="Adresse électronique", widget=forms.EmailInput(attrs={"autocomplete": "off"}), max_length=254
    )
    first_name = forms.CharField(label="Prénom", max_length=150, required=False)
    last_name = forms.CharField(label="Nom", max_length=150, required=False)
    role = forms.ChoiceField(label="Rôle", widget=forms.RadioSelect)
    establishment = forms.ModelChoiceField(
        label="Établissement",
        queryset=None,
        required=False,
        help_text="Pour le rôle de directeur d'établissement : un établissement d'un membre actuel du groupement.",
    )
    departement = forms.ModelChoiceField(
        label="Département",
        queryset=None,
        required=False,
        help_text="Pour le rôle de lecteur du conseil départemental : un département de la région.",
    )

    def __init__(self, *args, roles, establishments=None, departements=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]
        if len(roles) == 1:
            self.fields["role"].initial = roles[0].value
        if establishments is not None and Role.ESTABLISHMENT_DIRECTOR in roles:
            self.fields["establishment"].queryset = establishments
            self.fields["establishment"].label_from_instance = lambda e: f"{e.name} ({e.finess})"
        else:
            del self.fields["establishment"]
        if departements is not None and Role.DEPARTEMENT_READER in roles:
            self.fields["departement"].queryset = departements
        else:
            del self.fields["departement"]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role == Role.ESTABLISHMENT_DIRECTOR and not data.get("establishment"):
            self.add_error("establishment", "Choisissez l'établissement que la personne dirige.")
        if role == Role.DEPARTEMENT_READER and not data.get("departement"):
            self.add_error("departement", "Choisissez le département de la personne.")
        return data


class InvitationAcceptForm(forms.Form):
    """A new account from an invitation: name and password (twice; Django's validators apply)."""

    first_name = forms.CharField(
        label="Prénom", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Nom", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Au moins 12 caractères, ni trop courant, ni uniquement des chiffres, ni trop proche de votre nom.",
    )
    password2 = forms.CharField(
        label="Mot de passe (confirmation)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "Les deux mots de passe ne sont pas identiques.")
        elif first:
            candidate = User(
                email=self.email, first_name=data.get("first_name", ""), last_name=data.get("last_name", "")
            )
            try:
                password_validation.validate_password(first, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class PasswordResetRequestForm(PasswordResetForm):
    """Ask for a reset link. The answer is the same whether the address has an account or not; the mail
    is sent by the worker through ``core.mail`` (``accounts.services.password_reset_send``)."""

    email = forms.EmailField(
        label="Adresse électronique",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def save(self, *, token_generator=default_token_generator, **kwargs):
        from accounts.services import password_reset_send

        for user in self.get_users(self.cleaned_data["email"]):
            password_reset_send(user=user, token=token_generator.make_token(user))


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label="Code à 6 chiffres (ou code de secours)",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text="Le code affiché par votre application d'authentification, qui change toutes les 30 secondes.",
    )
