import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.exceptions import BusinessRuleError
from core.formatting import format_date
from core.perms import is_platform_admin, request_checker
from documents import perms as document_perms, selectors as document_selectors
from documents.services import document_request
from members import forms, perms, portal as portal_sections, selectors, services
from members.access import get_groupement_for
from members.models import Groupement, Membership


MEMBERS_PER_PAGE = 25


def _groupement_abilities(request, groupement: Groupement) -> dict[str, bool]:
    """Booleans for the template, from the predicates the services check (members.perms)."""
    return perms.groupement_abilities(request_checker(request), groupement)


def _member_abilities(request, groupement: Groupement, membership: Membership) -> dict[str, bool]:
    return perms.member_abilities(request_checker(request), groupement, membership, today=timezone.localdate())


def _membership_or_404(groupement: Groupement, membership_id: int) -> Membership:
    try:
        return selectors.membership_get(groupement=groupement, membership_id=membership_id)
    except Membership.DoesNotExist:
        raise Http404("Aucun membre de ce groupement ne correspond.") from None


@require_safe
def groupement_list(request):
    groupements = list(selectors.groupement_list_for_user(user=request.user))
    if len(groupements) == 1 and not is_platform_admin(request.user):
        return redirect("members:groupement_dashboard", slug=groupements[0].slug)
    return render(request, "members/groupement_list.html", {"groupements": groupements})


@require_safe
def groupement_dashboard(request, slug: str):
    groupement = get_groupement_for(request, slug)
    context = {
        "groupement": groupement,
        "summary": selectors.groupement_summary(groupement=groupement),
        "memberships": selectors.membership_current_list(groupement=groupement),
        "journal": selectors.groupement_journal(groupement=groupement),
        "departements": list(groupement.departements.all()),
    }
    return render(request, "members/groupement_dashboard.html", context)


@require_safe
def member_list(request, slug: str):
    groupement = get_groupement_for(request, slug)
    departements = selectors.membership_list_departements(groupement=groupement)
    form = forms.MemberFilterForm(request.GET or None, departements=departements)
    filters = form.filters()
    memberships = selectors.membership_list(groupement=groupement, filters=filters)
    page = Paginator(memberships, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "groupement": groupement,
        "form": form,
        "page_obj": page,
        "filtered": filters != selectors.MemberListFilters(sort=filters.sort),
        **_groupement_abilities(request, groupement),
    }
    return render(request, "members/member_list.html", context)


@require_safe
def member_detail(request, slug: str, membership_id: int):
    groupement = get_groupement_for(request, slug)
    membership = _membership_or_404(groupement, membership_id)
    context = {
        "groupement": groupement,
        "membership": membership,
        "detail": selectors.member_detail(membership=membership),
        **_member_abilities(request, groupement, membership),
    }
    return render(request, "members/member_detail.html", context)


@require_http_methods(["GET", "POST"])
def member_admit(request, slug: str):
    groupement = get_groupement_for(request, slug, perms.MANAGE_MEMBERS)
    search = forms.LegalEntitySearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    form = forms.MembershipAdmitForm(
        request.POST if request.method == "POST" else None,
        initial={"legal_entity": request.GET.get("finess", ""), "admitted_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_admit(groupement=groupement, actor=request.user, **form.cleaned_data)
        except BusinessRuleError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"« {membership.legal_entity.name} » est admise au groupement à compter du "
                f"{format_date(membership.admitted_on)}.",
            )
            return redirect("members:member_detail", slug=groupement.slug, membership_id=membership.pk)
    context = {
        "groupement": groupement,
        "search": search,
        "query": query,
        "results": selectors.legal_entity_search(query=query),
        "form": form,
    }
    return render(request, "members/member_admit.html", context)


def _member_action(request, *, slug, membership_id, form_class, initial, run, success, page):
    """The shared shape of the withdrawal, exclusion and terms pages: form → service → member page."""
    groupement = get_groupement_for(request, slug, perms.MANAGE_MEMBERS)
    membership = _membership_or_404(groupement, membership_id)
    form = form_class(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            run(membership=membership, actor=request.user, **form.cleaned_data)
        except BusinessRuleError as error:
            form.add_error(None, error)
        else:
            messages.success(request, success(membership))
            return redirect("members:member_detail", slug=groupement.slug, membership_id=membership.pk)
    context = {"groupement": groupement, "membership": membership, "form": form, **page}
    return render(request, "members/member_action.html", context)


@require_http_methods(["GET", "POST"])
def member_withdraw(request, slug: str, membership_id: int):
    today = timezone.localdate()
    return _member_action(
        request,
        slug=slug,
        membership_id=membership_id,
        form_class=forms.MembershipWithdrawForm,
        initial={"notified_on": today, "left_on": services.withdrawal_earliest_left_on(today)},
        run=services.membership_withdraw,
        success=lambda m: (
            f"Le retrait de « {m.legal_entity.name} » est enregistré : il prend effet le {format_date(m.left_on)}."
        ),
        page={
            "title": "Enregistrer un retrait",
            "submit_label": "Enregistrer le retrait",
            "rule": (
                "Un membre ne se retire qu'à la fin d'un exercice (31 décembre), après l'avoir notifié au "
                "groupement au moins six mois avant, soit au plus tard le 30 juin (art. R. 312-194-10 CASF). "
                "La date de sortie est le premier jour où l'entité n'est plus membre : un 1er janvier."
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def member_exclude(request, slug: str, membership_id: int):
    return _member_action(
        request,
        slug=slug,
        membership_id=membership_id,
        form_class=forms.MembershipExcludeForm,
        initial={},
        run=services.membership_exclude,
        success=lambda m: (
            f"L'exclusion de « {m.legal_entity.name} » est enregistrée : elle prend effet le {format_date(m.left_on)}."
        ),
        page={
            "title": "Enregistrer une exclusion",
            "submit_label": "Enregistrer l'exclusion",
            "rule": (
                "L'exclusion n'est possible que si le groupement compte au moins trois membres. Le représentant "
                "du membre est entendu avant la décision de l'assemblée générale, à laquelle il ne prend pas part "
                "au vote (art. R. 312-194-10 et R. 312-194-22 CASF)."
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def member_terms(request, slug: str, membership_id: int):
    return _member_action(
        request,
        slug=slug,
        membership_id=membership_id,
        form_class=forms.MembershipTermsForm,
        initial={"valid_from": datetime.date(timezone.localdate().year + 1, 1, 1)},
        run=services.membership_terms_change,
        success=lambda m: f"Les nouvelles conditions de « {m.legal_entity.name} » sont enregistrées.",
        page={
            "title": "Modifier les droits et la contribution",
            "submit_label": "Enregistrer les nouvelles conditions",
            "rule": (
                "Les droits des membres suivent leurs apports ou leur contribution aux charges de fonctionnement "
                "(art. R. 312-194-12 CASF) ; les contributions sont revues chaque année avec le budget "
                "(art. R. 312-194-7 8°). Les conditions précédentes restent dans l'historique."
            ),
        },
    )


@require_POST
def member_export(request, slug: str):
    groupement = get_groupement_for(request, slug, document_perms.GENERATE_DOCUMENTS)
    try:
        job = document_request(kind="members_list", groupement=groupement, actor=request.user)
    except BusinessRuleError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("members:member_list", slug=groupement.slug)
    messages.success(request, "L'export des membres est en préparation.")
    return redirect("documents:job_detail", slug=groupement.slug, pk=job.pk)


PORTAL_DOCUMENTS = 50


@require_safe
def portal(request):
    """A director's establishments and, under « Documents du groupement », the documents their
    groupements put at the members' disposal (``documents.audience``)."""
    context = {
        "cards": selectors.portal_for_user(user=request.user),
        "documents": document_selectors.documents_for_member_director(user=request.user, limit=PORTAL_DOCUMENTS),
        "document_groupements": document_selectors.member_groupements(user=request.user),
        "documents_limit": PORTAL_DOCUMENTS,
        "portal_sections": [section.template for section in portal_sections.sections()],
    }
    for section in portal_sections.sections():
        context.update(section.context(request))
    return render(request, "members/portal.html", context)
