from django.contrib import admin

from members import eligibility, services
from members.models import (
    Derogation,
    Establishment,
    FinessImportRun,
    GhtMembership,
    Groupement,
    LegalEntity,
    Membership,
    MembershipTerms,
)


@admin.register(Groupement)
class GroupementAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "status"]
    list_filter = ["kind", "status", "region"]
    search_fields = ["name", "finess_ej", "siren"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["departements"]

    def save_model(self, request, obj, form, change):
        """Through ``groupement_create`` / ``groupement_update``, which check and journal the change."""
        data = {field: form.cleaned_data[field] for field in services.GROUPEMENT_FIELDS if field in form.cleaned_data}
        departements = form.cleaned_data.get("departements")
        if change:
            changed = {field: value for field, value in data.items() if field in form.changed_data}
            saved = services.groupement_update(
                groupement=obj, departements=departements, actor=request.user, **changed
            )
        else:
            saved = services.groupement_create(departements=departements or (), actor=request.user, **data)
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the départements were saved by the service, not by form.save_m2m()
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        return False  # the journal and the memberships refer to it: a groupement is dissolved, not erased


class CodeGroupFilter(admin.SimpleListFilter):
    """A filter on a FINESS code by the fixed groups of members.eligibility: no scan of the table for its choices."""

    field: str
    groups: dict[str, tuple[str, frozenset[str]]]

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.groups.items()]

    def queryset(self, request, queryset):
        group = self.groups.get(self.value() or "")
        return queryset.filter(**{f"{self.field}__in": sorted(group[1])}) if group else queryset


class StatutFilter(CodeGroupFilter):
    title = "statut juridique"
    parameter_name = "statut"
    field = "statut_code"
    groups = {
        "esms": ("Établissement public social ou médico-social (18 à 23)", eligibility.AUTONOMOUS_PUBLIC_ESMS),
        "ccas": ("CCAS ou CIAS (08, 17)", eligibility.CCAS_CIAS),
        "collectivite": ("Collectivité territoriale (02 à 07)", eligibility.LOCAL_AUTHORITY),
        "hopital": ("Établissement public de santé (10 à 16)", eligibility.PUBLIC_HOSPITAL),
        "autre_public": ("Autre personne morale de droit public", eligibility.OTHER_PUBLIC),
        "prive": ("Droit privé (40 et au-delà)", eligibility.PRIVATE),
    }


class CategoryFilter(CodeGroupFilter):
    title = "catégorie FINESS"
    parameter_name = "categorie"
    field = "category_code"
    groups = {
        "ehpad": ("EHPAD (500)", eligibility.EHPAD),
        "accueil_jour": ("Accueil de jour (207)", eligibility.DAY_CARE),
        "domicile": ("Services à domicile (209, 354, 460)", eligibility.HOME_SERVICES),
        "personnes_agees": ("Autres établissements pour personnes âgées", eligibility.ELDERLY_OTHER),
        "handicap": ("Établissements et services pour personnes handicapées", eligibility.DISABILITY),
    }


class FinessListAdmin(admin.ModelAdmin):
    """Lists of the FINESS tables (90,000 legal entities, 157,000 establishments): every query indexed.

    Sorted on the ``(name, id)`` index, searched by FINESS prefix (``_like`` index) and name (trigram
    index), filtered on fixed choices, and no second count of the whole table.
    """

    ordering = ["name", "id"]
    list_per_page = 50
    search_fields = ["finess__startswith", "name"]
    search_help_text = "Début du numéro FINESS ou partie de la raison sociale."
    show_full_result_count = False


@admin.register(LegalEntity)
class LegalEntityAdmin(FinessListAdmin):
    list_display = ["finess", "name", "statut_code", "departement_code", "closed"]
    list_filter = [StatutFilter, "closed"]


@admin.register(Establishment)
class EstablishmentAdmin(FinessListAdmin):
    list_display = ["finess", "name", "category_code", "departement", "closed"]
    list_filter = [CategoryFilter, "eligibility", "closed", "departement"]
    list_select_related = ["departement"]
    raw_id_fields = ["legal_entity"]


class MembershipTermsInline(admin.TabularInline):
    model = MembershipTerms
    fields = ["valid_from", "voting_rights", "contribution_share", "act"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # terms are changed by membership_terms_change, which journals them


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["legal_entity", "groupement", "category", "admitted_on", "left_on", "leave_reason"]
    list_filter = ["groupement", "category", "leave_reason"]
    list_select_related = ["legal_entity", "groupement"]
    search_fields = ["legal_entity__name", "legal_entity__finess", "groupement__name"]
    raw_id_fields = ["legal_entity"]
    inlines = [MembershipTermsInline]

    def has_change_permission(self, request, obj=None):
        return False  # admissions and departures are recorded by the membership services, which journal them

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # membership history is never erased


@admin.register(GhtMembership)
class GhtMembershipAdmin(admin.ModelAdmin):
    """Platform admins record GHT memberships here (not in FINESS); each save is journaled by the service."""

    list_display = ["legal_entity", "legal_entity_finess", "ght_name", "since", "until"]
    list_filter = ["ght_name", "legal_entity__departement_code"]
    list_select_related = ["legal_entity"]
    search_fields = ["legal_entity__name", "legal_entity__finess", "ght_name"]
    raw_id_fields = ["legal_entity"]
    fields = ["legal_entity", "ght_name", "since", "until", "source"]

    @admin.display(description="FINESS juridique", ordering="legal_entity__finess")
    def legal_entity_finess(self, obj):
        return obj.legal_entity.finess

    def save_model(self, request, obj, form, change):
        services.ght_membership_save(ght_membership=obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # a membership that ended gets its « jusqu'au » date: the coverage history stays true


@admin.register(Derogation)
class DerogationAdmin(admin.ModelAdmin):
    """Platform admins record dérogation requests and decisions here; each save is journaled by the service."""

    list_display = ["legal_entity", "ground", "received_on", "decision"]
    list_select_related = ["legal_entity"]
    raw_id_fields = ["legal_entity"]

    def save_model(self, request, obj, form, change):
        services.derogation_record(derogation=obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # a request and its decision stay in the coverage history


@admin.register(FinessImportRun)
class FinessImportRunAdmin(admin.ModelAdmin):
    """Read-only: imports are started from the upload page and run by the worker."""

    list_display = ["created_at", "status", "progress", "attempts", "requested_by"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in FinessImportRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
