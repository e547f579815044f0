"""Read-only admin views: documents are produced by jobs and never edited by hand."""

from django.contrib import admin

from documents.models import Document, GenerationJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "groupement", "version", "status", "format", "generated_at"]
    list_filter = ["status", "format", "kind"]
    search_fields = ["title", "sha256", "groupement__name"]
    list_select_related = ["groupement"]
    exclude = ["source"]


@admin.register(GenerationJob)
class GenerationJobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "groupement", "status", "attempts", "progress", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    search_fields = ["groupement__name", "error"]
    list_select_related = ["groupement"]
