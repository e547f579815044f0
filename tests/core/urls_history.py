"""A test-only URLconf: one view that renames a groupement with a bulk .update()."""

from django.http import HttpResponse
from django.urls import path

from members.models import Groupement


def rename(request, pk):
    Groupement.objects.filter(pk=pk).update(name=request.POST["name"])
    return HttpResponse("ok")


urlpatterns = [path("renommer/<int:pk>/", rename, name="rename")]
