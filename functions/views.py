"""Pages of the pooled functions, under /groupement/<slug>/fonctions/.

Thin views: one access check (staff, or reader in scope, read-only), one selector or service call.
Readers see the same pages with every write ability off.
"""

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.exceptions import BusinessRuleError
from core.formatting import format_date
from core.perms import request_checker
from documents.perms import GENERATE_DOCUMENTS
from documents.services import document_request
from functions import forms, perms, selectors, services
from functions.documents import COST_SHARING_KINDS
from functions.models import GroupementFunction, SharedPost, Subscription
from functions.sharing import year_split
from members.access import get_groupement_for, get_groupement_for_reading


def _abilities(request, groupement, reader: bool) -> dict[str, bool]:
    return perms.function_abilities(request_checker(request), groupement, reader=reader)


def _function_or_404(groupement, function_id: int) -> GroupementFunction:
    try:
        return selectors.function_get(groupement=groupement, function_id=function_id)
    except GroupementFunction.DoesNotExist:
        raise Http404("Aucune fonction de ce groupement ne correspond.") from None


def _year(request, default: int) -> int:
    try:
        year = int(request.GET.get("annee", default))
    except (TypeError, ValueError):
        return default
    return year if 2000 <= year <= 2100 else default


def _form_page(request, *, groupement, title, form, back_url, submit_label, lead="", function=None, template=None):
    context = {
        "groupement": groupement,
        "function": function,
        "title": title,
        "lead": lead,
        "form": form,
        "back_url": back_url,
        "submit_label": submit_label,
        "show_groupement_nav": True,
    }
    return render(request, template or "functions/form.html", context)


def _run(form, call):
    """Call the service with the form's data; a refused input becomes the form's error."""
    try:
        return call()
    except BusinessRuleError as error:
        form.add_error(None, error)
        return None


@require_safe
def catalogue(request, slug: str):
    groupement, reader = get_groupement_for_reading(request, slug)
    today = timezone.localdate()
    context = {
        "groupement": groupement,
        "catalogue": selectors.function_catalogue(groupement=groupement, on=today),
        "today": today,
        "type_form": forms.FunctionTypeForm(prefix="type"),
        **_abilities(request, groupement, reader),
    }
    return render(request, "functions/catalogue.html", context)


@require_POST
def function_type_create(request, slug: str):
    groupement = get_groupement_for(request, slug, perms.MANAGE_FUNCTIONS)
    form = forms.FunctionTypeForm(request.POST, prefix="type")
    if form.is_valid():
        try:
            function_type = services.function_type_create(
                groupement=groupement, name=form.cleaned_data["name"], actor=request.user
            )
        except BusinessRuleError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"Le type de fonction « {function_type.name} » est ajouté au catalogue du groupement."
            )
    else:
        messages.error(request, "« Nom du type de fonction » : indiquez un nom.")
    return redirect("functions:catalogue", slug=groupement.slug)


@require_safe
def function_detail(request, slug: str, function_id: int):
    groupement, reader = get_groupement_for_reading(request, slug)
    function = _function_or_404(groupement, function_id)
    year = _year(request, timezone.localdate().year)
    detail = selectors.function_detail(groupement=groupement, function=function, year=year)
    abilities = _abilities(request, groupement, reader)
    can_manage = abilities["can_manage"]
    context = {
        "groupement": groupement,
        "function": function,
        "detail": detail,
        "subscriptions": [
            {"subscription": s, "can_end": perms.can_end_subscription(can_manage, s)} for s in detail.subscriptions
        ],
        "posts": [
            {"post": p, "hours": p.hours_list, "can_set_hours": perms.can_set_post_hours(can_manage, p, year)}
            for p in detail.posts
        ],
        "year": year,
        "years": [year - 1, year, year + 1],
        **abilities,
    }
    return render(request, "functions/function_detail.html", context)


@require_http_methods(["GET", "POST"])
def function_create(request, slug: str):
    groupement = get_groupement_for(request, slug, perms.MANAGE_FUNCTIONS)
    form = forms.FunctionForm(
        request.POST if request.method == "POST" else None,
        function_types=selectors.function_types_for(groupement=groupement),
        initial={"starts_on": timezone.localdate(), "function_type": request.GET.get("type")},
    )
    if request.method == "POST" and form.is_valid():
        function = _run(
            form, lambda: services.function_create(groupement=groupement, actor=request.user, **form.cleaned_data)
        )
        if function is not None:
            messages.success(request, f"La fonction « {function.title} » est créée.")
            return redirect("functions:function_detail", slug=groupement.slug, function_id=function.pk)
    return _form_page(
        request,
        groupement=groupement,
        title="Créer une fonction mutualisée",
        form=form,
        back_url=reverse("functions:catalogue", args=[groupement.slug]),
        submit_label="Créer la fonction",
        lead=(
            "Le groupement exerce pour le compte de ses membres au moins une des sept fonctions prévues par la loi "
            "(art. L. 312-7-2 CASF) ; il peut en exercer d'autres."
        ),
    )


@require_http_methods(["GET", "POST"])
def function_edit(request, slug: str, function_id: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_FUNCTIONS)
    function = _function_or_404(groupement, function_id)
    initial = {name: getattr(function, name) for name in services.FUNCTION_FIELDS}
    form = forms.FunctionForm(
        request.POST if request.method == "POST" else None,
        function_types=selectors.function_types_for(groupement=groupement),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        updated = _run(
            form, lambda: services.function_update(function=function, actor=request.user, **form.cleaned_data)
        )
        if updated is not None:
            messages.success(request, f"La fonction « {updated.title} » est modifiée.")
            return redirect("functions:function_detail", slug=groupement.slug, function_id=function.pk)
    return _form_page(
        request,
        groupement=groupement,
        function=function,
        title=f"Modifier « {function.title} »",
        form=form,
        back_url=reverse("functions:function_detail", args=[groupement.slug, function.pk]),
        submit_label="Enregistrer",
    )


@require_http_methods(["GET", "POST"])
def subscribe(request, slug: str, function_id: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_FUNCTIONS)
    function = _function_or_404(groupement, function_id)
    today = timezone.localdate()
    form = forms.SubscriptionForm(
        request.POST if request.method == "POST" else None,
        members=selectors.members_on(groupement=groupement, day=today),
        initial={"starts_on": max(today, function.starts_on)},
    )
    if request.method == "POST" and form.is_valid():
        subscription = _run(
            form, lambda: services.subscription_create(function=function, actor=request.user, **form.cleaned_data)
        )
        if subscription is not None:
            messages.success(
                request,
                f"« {subscription.legal_entity.name} » adhère à « {function.title} » à compter du "
                f"{format_date(subscription.starts_on)}.",
            )
            return redirect("functions:function_detail", slug=groupement.slug, function_id=function.pk)
    return _form_page(
        request,
        groupement=groupement,
        function=function,
        title=f"Faire adhérer un membre à « {function.title} »",
        form=form,
        back_url=reverse("functions:function_detail", args=[groupement.slug, function.pk]),
        submit_label="Enregistrer l'adhésion",
        lead="L'adhérent doit être membre du groupement pendant toute la période d'adhésion.",
    )


@require_http_methods(["GET", "POST"])
def unsubscribe(request, slug: str, function_id: int, subscription_id: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_FUNCTIONS)
    function = _function_or_404(groupement, function_id)
    try:
        subscription = function.subscriptions.select_related("legal_entity").get(pk=subscription_id)
    except Subscription.DoesNotExist:
        raise Http404("Aucune adhésion de cette fonction ne correspond.") from None
    today = timezone.localdate()
    form = forms.SubscriptionEndForm(
        request.POST if request.method == "POST" else None,
        initial={"ends_on": datetime.date(today.year, 12, 31)},
    )
    if request.method == "POST" and form.is_valid():
        ended = _run(
            form,
            lambda: services.subscription_end(
                subscription=subscription, ends_on=form.cleaned_data["ends_on"], actor=request.user
            ),
        )
        if ended is not None:
            messages.success(
                request,
                f"L'adhésion de « {subscription.legal_entity.name} » prend fin le {format_date(ended.ends_on)}.",
            )
            return redirect("functions:function_detail", slug=groupement.slug, function_id=function.pk)
    return _form_page(
        request,
        groupement=groupement,
        function=function,
        title=f"Fin d'adhésion de « {subscription.legal_entity.name} »",
        form=form,
        back_url=reverse("functions:function_detail", args=[groupement.slug, function.pk]),
        submit_label="Enregistrer la fin d'adhésion",
        lead="L'adhésion reste dans l'historique ; sa part des coûts est calculée au prorata des jours d'adhésion.",
    )


@require_http_methods(["GET", "POST"])
def post_create(request, slug: str, function_id: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_FUNCTIONS)
    function = _function_or_404(groupement, function_id)
    today = timezone.localdate()
    form = forms.PostForm(
        request.POST if request.method == "POST" else None,
        members=selectors.members_on(groupement=groupement, day=today),
        initial={"starts_on": max(today, function.starts_on), "mode": "RECRUITED", "split": "KEY"},
    )
    if request.method == "POST" and form.is_valid():
        post = _run(form, lambda: services.post_create(function=function, actor=request.user, **form.cleaned_data))
        if post is not None:
            messages.success(request, f"Le poste « {post.job_title} » est ajouté.")
            return redirect("functions:function_detail", slug=groupement.slug, function_id=function.pk)
    return _form_page(
        request,
        groupement=groupement,
        function=function,
        title=f"Ajouter un poste à « {function.title} »",
        form=form,
        back_url=reverse("functions:function_detail", args=[groupement.slug, function.pk]),
        submit_label="Ajouter le poste",
        lead=(
            "Un poste est recruté par le groupement ou mis à disposition par un membre, que le groupement rembourse "
            "(art. L. 312-7 3° CASF). Son coût compte au prorata de ses jours d'activité dans l'année."
        ),
    )


@require_http_methods(["GET", "POST"])
def post_hours(request, slug: str, function_id: int, post_id: int, year: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_FUNCTIONS)
    function = _function_or_404(groupement, function_id)
    try:
        post = function.posts.get(pk=post_id)
    except SharedPost.DoesNotExist:
        raise Http404("Aucun poste de cette fonction ne correspond.") from None
    subscribers = selectors.subscribers_in_year(function=function, year=year)
    existing = {h.legal_entity_id: h.hours for h in post.hours.filter(year=year)}
    form = forms.PostHoursForm(
        request.POST if request.method == "POST" else None,
        subscribers=subscribers,
        initial={f"hours_{entity_id}": hours for entity_id, hours in existing.items()},
    )
    if request.method == "POST" and form.is_valid():
        rows = _run(
            form, lambda: services.post_hours_set(post=post, year=year, hours=form.hours(), actor=request.user)
        )
        if rows is not None:
            messages.success(request, f"Les heures {year} du poste « {post.job_title} » sont enregistrées.")
            return redirect(
                reverse("functions:function_detail", args=[groupement.slug, function.pk]) + f"?annee={year}"
            )
    return _form_page(
        request,
        groupement=groupement,
        function=function,
        title=f"Heures {year} du poste « {post.job_title} »",
        form=form,
        back_url=reverse("functions:function_detail", args=[groupement.slug, function.pk]),
        submit_label="Enregistrer les heures",
        lead=(
            f"Un ETP compte 1 607 heures par an. Les heures non déclarées sont réparties selon la clé de la "
            f"fonction ; le total ne peut pas dépasser le temps du poste ({post.fte} ETP)."
        ),
    )


@require_http_methods(["GET", "POST"])
def cost_key(request, slug: str, function_id: int, year: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_FUNCTIONS)
    function = _function_or_404(groupement, function_id)
    subscribers = selectors.subscribers_in_year(function=function, year=year)
    key = function.keys.filter(year=year).prefetch_related("figures").first()
    initial = {"method": "EQUAL"}
    if key is not None:
        initial = {"method": key.method, "figure_kind": key.figure_kind, "act": key.act}
        for figure in key.figures.all():
            initial[f"value_{figure.legal_entity_id}"] = figure.value
            initial[f"source_{figure.legal_entity_id}"] = figure.source
    form = forms.CostKeyForm(
        request.POST if request.method == "POST" else None, subscribers=subscribers, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        saved = _run(
            form,
            lambda: services.cost_key_set(function=function, year=year, actor=request.user, **form.service_kwargs()),
        )
        if saved is not None:
            messages.success(request, f"La clé de répartition {year} de « {function.title} » est enregistrée.")
            return redirect(
                reverse("functions:function_detail", args=[groupement.slug, function.pk]) + f"?annee={year}"
            )
    return _form_page(
        request,
        groupement=groupement,
        function=function,
        title=f"Clé de répartition {year} de « {function.title} »",
        form=form,
        back_url=reverse("functions:function_detail", args=[groupement.slug, function.pk]),
        submit_label="Enregistrer la clé",
        lead=(
            "Parts égales ; au prorata d'un chiffre annuel de chaque membre (places, budget, ETP, journées), avec sa "
            "source ; ou pourcentages fixes, qui doivent faire exactement 100 %. Chaque part est ensuite pondérée "
            "par les jours d'adhésion dans l'année."
        ),
        template="functions/key_form.html",
    )


@require_http_methods(["GET", "POST"])
def other_cost_add(request, slug: str, function_id: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_FUNCTIONS)
    function = _function_or_404(groupement, function_id)
    form = forms.OtherCostForm(
        request.POST if request.method == "POST" else None, initial={"year": timezone.localdate().year}
    )
    if request.method == "POST" and form.is_valid():
        cost = _run(form, lambda: services.other_cost_add(function=function, actor=request.user, **form.cleaned_data))
        if cost is not None:
            messages.success(request, f"Le coût « {cost.label} » ({cost.year}) est ajouté.")
            return redirect(
                reverse("functions:function_detail", args=[groupement.slug, function.pk]) + f"?annee={cost.year}"
            )
    return _form_page(
        request,
        groupement=groupement,
        function=function,
        title=f"Ajouter un coût à « {function.title} »",
        form=form,
        back_url=reverse("functions:function_detail", args=[groupement.slug, function.pk]),
        submit_label="Ajouter le coût",
        lead="Licences, achats, déplacements… : réparti selon la clé de la fonction pour l'année.",
    )


@require_safe
def sharing(request, slug: str, year: int | None = None):
    groupement, reader = get_groupement_for_reading(request, slug)
    if year is None:
        return redirect("functions:sharing", slug=groupement.slug, year=timezone.localdate().year)
    if not 2000 <= year <= 2100:
        raise Http404("Année hors limites.")
    context = {
        "groupement": groupement,
        "split": year_split(groupement=groupement, year=year),
        "year": year,
        "years": [year - 1, year + 1],
        **_abilities(request, groupement, reader),
    }
    return render(request, "functions/sharing.html", context)


@require_POST
def sharing_document(request, slug: str, year: int):
    groupement = get_groupement_for(request, slug, GENERATE_DOCUMENTS)
    kind = request.POST.get("kind")
    if kind not in COST_SHARING_KINDS:
        kind = COST_SHARING_KINDS[0]
    try:
        job = document_request(kind=kind, groupement=groupement, year=year, actor=request.user)
    except BusinessRuleError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("functions:sharing", slug=groupement.slug, year=year)
    messages.success(request, f"La répartition des charges {year} est en préparation.")
    return redirect("documents:job_detail", slug=groupement.slug, pk=job.pk)
