from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import services
from accounts.models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ["role", "groupement", "establishment", "region", "departement", "granted_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # roles are granted by the role services, which journal them


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    list_filter = ["is_active", "is_superuser"]
    readonly_fields = ["is_superuser", "is_staff", "groups", "user_permissions", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name"]}),
        ("Droits (issus des rôles)", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    inlines = [RoleAssignmentInline]
    actions = ["otp_reset"]

    @admin.action(description="Réinitialiser la double authentification (la personne la réactive à sa connexion)")
    def otp_reset(self, request, queryset):
        for user in queryset:
            services.otp_reset(user=user, actor=request.user)
        self.message_user(request, f"Double authentification réinitialisée pour {queryset.count()} compte(s).")
