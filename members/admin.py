from django.contrib import admin

from members.models import Derogation, Establishment, GhtMembership, Groupement, LegalEntity, Membership


@admin.register(Groupement)
class GroupementAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "status"]
    list_filter = ["kind", "status", "region"]
    search_fields = ["name", "finess_ej", "siren"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["departements"]


@admin.register(LegalEntity)
class LegalEntityAdmin(admin.ModelAdmin):
    list_display = ["finess", "name", "statut_code", "departement_code", "closed"]
    list_filter = ["statut_code", "closed"]
    search_fields = ["finess", "name", "siren"]


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ["finess", "name", "category_code", "departement", "closed"]
    list_filter = ["category_code", "closed", "departement"]
    search_fields = ["finess", "name", "siret"]
    raw_id_fields = ["legal_entity"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["legal_entity", "groupement", "category", "admitted_on", "left_on"]
    list_filter = ["groupement", "category"]
    raw_id_fields = ["legal_entity"]

    def has_change_permission(self, request, obj=None):
        return False  # admissions and departures are recorded by the membership services, which journal them

    def has_add_permission(self, request):
        return False


@admin.register(GhtMembership)
class GhtMembershipAdmin(admin.ModelAdmin):
    list_display = ["legal_entity", "ght_name", "since", "until"]
    search_fields = ["legal_entity__name", "legal_entity__finess", "ght_name"]
    raw_id_fields = ["legal_entity"]


@admin.register(Derogation)
class DerogationAdmin(admin.ModelAdmin):
    list_display = ["legal_entity", "ground", "received_on", "decision"]
    raw_id_fields = ["legal_entity"]
