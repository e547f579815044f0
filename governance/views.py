"""Pages of the governance room: groupement dashboard (meetings, convention, director) and the portal proxy."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from core.exceptions import BusinessRuleError
from core.perms import request_checker
from governance import forms, perms, selectors, services
from governance.enums import AttendanceStatus, MeetingStatus
from governance.models import Attendance, ConventionVersion, DirectorNomination, Meeting
from members.access import get_groupement_for, get_groupement_for_reading
from members.models import Groupement, Membership


def _readable_groupement(request, slug: str) -> Groupement:
    """The groupement, for its staff and for the ARS and département readers of its territory (read-only)."""
    groupement, _reader = get_groupement_for_reading(request, slug)
    return groupement


def _meeting(groupement, meeting_id) -> Meeting:
    try:
        return selectors.meeting_get(groupement=groupement, meeting_id=meeting_id)
    except Meeting.DoesNotExist:
        raise Http404("Aucune assemblée générale de ce groupement ne correspond.") from None


def _errors(request, error: BusinessRuleError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_safe
def governance_home(request, slug: str):
    groupement = _readable_groupement(request, slug)
    checker = request_checker(request)
    context = {
        "groupement": groupement,
        "meetings": selectors.meeting_list(groupement=groupement),
        "versions": list(selectors.convention_versions(groupement=groupement)[:1]),
        "director": selectors.current_director(groupement=groupement),
        "administrator": selectors.current_administrator(groupement=groupement),
        "can_manage": perms.can_manage_meetings(checker, groupement),
        "form": forms.MeetingForm(),
    }
    return render(request, "governance/home.html", context)


@require_POST
def meeting_create(request, slug: str):
    groupement = get_groupement_for(request, slug, perms.MANAGE_MEETINGS)
    form = forms.MeetingForm(request.POST)
    if form.is_valid():
        try:
            meeting = services.meeting_create(groupement=groupement, actor=request.user, **form.cleaned_data)
        except BusinessRuleError as error:
            _errors(request, error)
        else:
            messages.success(request, f"{meeting} créée : ajoutez son ordre du jour, puis convoquez.")
            return redirect("governance:meeting_detail", slug=slug, meeting_id=meeting.pk)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label} : {error}" if label else error)
    return redirect("governance:home", slug=slug)


def _meeting_context(request, groupement, meeting, **extra):
    checker = request_checker(request)
    abilities = perms.meeting_abilities(checker, meeting)
    detail = selectors.meeting_detail(meeting=meeting)
    voters = [a for a in detail.attendances if a.status != AttendanceStatus.ABSENT]
    vote_forms = []
    for item in detail.deliberations:
        votes = {v.membership_id: v.choice for v in item.votes.all()}
        vote_forms.append(
            {
                "deliberation": item,
                "form": extra.pop(f"votes_{item.pk}", None)
                or forms.VotesForm(deliberation=item, voters=voters, votes=votes),
                "votes": item.votes.all(),
            }
        )
    members = (
        [a.membership for a in detail.attendances]
        if detail.attendances
        else list(
            Membership.objects.filter(groupement=groupement)
            .members()
            .active_on(timezone.localdate())
            .select_related("legal_entity")
            .order_by("legal_entity__name")
        )
    )
    return {
        "groupement": groupement,
        "meeting": meeting,
        "detail": detail,
        "vote_forms": vote_forms,
        "attendance_form": extra.pop("attendance_form", None) or forms.AttendanceForm(attendances=detail.attendances),
        "deliberation_form": extra.pop("deliberation_form", None) or forms.DeliberationForm(memberships=members),
        "second_call_form": forms.SecondCallForm(),
        "due_by_right": services.meeting_due_by_right(meeting),
        "is_reader": not abilities["can_manage"],
        **abilities,
        **extra,
    }


@require_safe
def meeting_detail(request, slug: str, meeting_id: int):
    groupement = _readable_groupement(request, slug)
    meeting = _meeting(groupement, meeting_id)
    return render(request, "governance/meeting_detail.html", _meeting_context(request, groupement, meeting))


@require_POST
def deliberation_add(request, slug: str, meeting_id: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_MEETINGS)
    meeting = _meeting(groupement, meeting_id)
    members = Membership.objects.filter(groupement=groupement).members().active_on(timezone.localdate())
    form = forms.DeliberationForm(request.POST, memberships=list(members.select_related("legal_entity")))
    if form.is_valid():
        try:
            services.deliberation_add(meeting=meeting, actor=request.user, **form.service_kwargs())
        except BusinessRuleError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Point ajouté à l'ordre du jour.")
            return redirect("governance:meeting_detail", slug=slug, meeting_id=meeting.pk)
    context = _meeting_context(request, groupement, meeting, deliberation_form=form)
    return render(request, "governance/meeting_detail.html", context, status=400)


def _simple_post(request, slug, meeting_id, run, success):
    groupement = get_groupement_for(request, slug, perms.MANAGE_MEETINGS)
    meeting = _meeting(groupement, meeting_id)
    try:
        result = run(meeting)
    except BusinessRuleError as error:
        _errors(request, error)
        return redirect("governance:meeting_detail", slug=slug, meeting_id=meeting.pk)
    messages.success(request, success)
    target = result if isinstance(result, Meeting) else meeting
    return redirect("governance:meeting_detail", slug=slug, meeting_id=target.pk)


@require_POST
def meeting_convene(request, slug: str, meeting_id: int):
    return _simple_post(
        request,
        slug,
        meeting_id,
        lambda m: services.meeting_convene(meeting=m, actor=request.user),
        "Assemblée convoquée : la convocation est en préparation et sera envoyée par courriel aux représentants "
        "des membres.",
    )


@require_POST
def meeting_close(request, slug: str, meeting_id: int):
    return _simple_post(
        request,
        slug,
        meeting_id,
        lambda m: services.meeting_close(meeting=m, actor=request.user),
        "Séance close : résultats calculés, effets appliqués, procès-verbal en préparation (projet).",
    )


@require_POST
def meeting_second_call(request, slug: str, meeting_id: int):
    form = forms.SecondCallForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Date et heure de la seconde séance : indiquez une date et une heure valides.")
        return redirect("governance:meeting_detail", slug=slug, meeting_id=meeting_id)
    return _simple_post(
        request,
        slug,
        meeting_id,
        lambda m: services.meeting_second_call(first=m, actor=request.user, **form.cleaned_data),
        "Seconde convocation préparée avec le même ordre du jour : convoquez-la.",
    )


@require_POST
def attendance_record(request, slug: str, meeting_id: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_MEETINGS)
    meeting = _meeting(groupement, meeting_id)
    attendances = list(
        meeting.attendances.select_related("membership__legal_entity").order_by("membership__legal_entity__name")
    )
    form = forms.AttendanceForm(request.POST, attendances=attendances)
    if form.is_valid():
        try:
            services.attendance_record(meeting=meeting, rows=form.inputs(), actor=request.user)
        except BusinessRuleError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Présences enregistrées.")
            return redirect("governance:meeting_detail", slug=slug, meeting_id=meeting.pk)
    context = _meeting_context(request, groupement, meeting, attendance_form=form)
    return render(request, "governance/meeting_detail.html", context, status=400)


@require_POST
def votes_record(request, slug: str, meeting_id: int, deliberation_id: int):
    groupement = get_groupement_for(request, slug, perms.MANAGE_MEETINGS)
    meeting = _meeting(groupement, meeting_id)
    deliberation = get_object_or_404(meeting.deliberations.select_related("meeting"), pk=deliberation_id)
    voters = list(
        meeting.attendances.exclude(status=AttendanceStatus.ABSENT)
        .select_related("membership__legal_entity")
        .order_by("membership__legal_entity__name")
    )
    form = forms.VotesForm(request.POST, deliberation=deliberation, voters=voters)
    if form.is_valid():
        try:
            services.votes_record(deliberation=deliberation, choices=form.choices(), actor=request.user)
        except BusinessRuleError as error:
            form.add_error(None, error)
        else:
            deliberation.refresh_from_db()
            messages.success(request, f"Votes enregistrés — {deliberation.title} : {deliberation.outcome_label}.")
            return redirect("governance:meeting_detail", slug=slug, meeting_id=meeting.pk)
    context = _meeting_context(request, groupement, meeting, **{f"votes_{deliberation.pk}": form})
    return render(request, "governance/meeting_detail.html", context, status=400)


# --- Convention ------------------------------------------------------------------------------------------


@require_safe
def convention(request, slug: str):
    groupement = _readable_groupement(request, slug)
    checker = request_checker(request)
    context = {
        "groupement": groupement,
        "versions": selectors.convention_versions(groupement=groupement),
        "avenants_due": selectors.avenants_due(groupement=groupement),
        "can_manage": perms.can_manage_convention(checker, groupement),
        "version_form": forms.ConventionVersionForm(),
        "transmission_form": forms.TransmissionForm(),
        "annex_form": forms.AnnexForm(),
    }
    return render(request, "governance/convention.html", context)


def _convention_post(request, slug, run, success):
    groupement = get_groupement_for(request, slug, perms.MANAGE_CONVENTION)
    try:
        run(groupement)
    except BusinessRuleError as error:
        _errors(request, error)
    else:
        messages.success(request, success)
    return redirect("governance:convention", slug=slug)


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label} : {error}" if label else error)


@require_POST
def convention_version_add(request, slug: str):
    form = forms.ConventionVersionForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("governance:convention", slug=slug)
    data = dict(form.cleaned_data)
    upload = data.pop("signed_file")

    def run(groupement):
        version = services.convention_version_record(groupement=groupement, actor=request.user, **data)
        if upload is not None:
            services.convention_signed_file_attach(version=version, upload=upload, actor=request.user)

    return _convention_post(request, slug, run, "Version de la convention enregistrée.")


def _version(groupement, version_id) -> ConventionVersion:
    return get_object_or_404(ConventionVersion, groupement=groupement, pk=version_id)


@require_POST
def convention_transmission(request, slug: str, version_id: int):
    form = forms.TransmissionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("governance:convention", slug=slug)
    return _convention_post(
        request,
        slug,
        lambda g: services.convention_transmission_record(
            version=_version(g, version_id), actor=request.user, **form.cleaned_data
        ),
        "Transmission, décision et publication enregistrées.",
    )


@require_POST
def convention_annex(request, slug: str, version_id: int):
    form = forms.AnnexForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("governance:convention", slug=slug)
    data = dict(form.cleaned_data)
    return _convention_post(
        request,
        slug,
        lambda g: services.convention_annex_add(
            version=_version(g, version_id),
            kind=data["kind"],
            title=data["title"],
            upload=data["file"],
            actor=request.user,
        ),
        "Annexe ajoutée.",
    )


# --- Director ---------------------------------------------------------------------------------------------


@require_safe
def director(request, slug: str):
    groupement = _readable_groupement(request, slug)
    checker = request_checker(request)
    nominations = list(selectors.nomination_list(groupement=groupement))
    departements = list(groupement.departements.all())
    context = {
        "groupement": groupement,
        "files": [{"nomination": n, "steps": selectors.nomination_steps(n, departements)} for n in nominations],
        "director": selectors.current_director(groupement=groupement),
        "administrator": selectors.current_administrator(groupement=groupement),
        "can_manage": perms.can_manage_director(checker, groupement),
        "opinion_form": forms.OpinionForm(departements=departements),
        "decision_form": forms.DecisionForm(),
        "qualification_form": forms.QualificationForm(),
        "mandate_form": forms.MandateForm(),
        "interim_form": forms.InterimForm(),
    }
    return render(request, "governance/director.html", context)


DIRECTOR_STEPS = {
    "opinion": (forms.OpinionForm, services.director_opinion_record, "Avis enregistré."),
    "decision": (forms.DecisionForm, services.director_decision_record, "Décision du DG ARS enregistrée."),
    "qualification": (forms.QualificationForm, services.director_qualification_record, "Qualification enregistrée."),
    "mandate": (forms.MandateForm, services.director_mandate_start, "Début du mandat enregistré."),
}


@require_POST
def director_step(request, slug: str, nomination_id: int, step: str):
    groupement = get_groupement_for(request, slug, perms.MANAGE_DIRECTOR)
    nomination = get_object_or_404(
        DirectorNomination.objects.select_related("groupement", "proposal__meeting"),
        groupement=groupement,
        pk=nomination_id,
    )
    if step not in DIRECTOR_STEPS:
        raise Http404("Étape inconnue.")
    form_class, service, success = DIRECTOR_STEPS[step]
    kwargs = {"departements": list(groupement.departements.all())} if step == "opinion" else {}
    form = form_class(request.POST, **kwargs)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("governance:director", slug=slug)
    data = dict(form.cleaned_data)
    if step == "opinion":
        data["departement"] = groupement.departements.get(pk=data["departement"])
    try:
        service(nomination=nomination, actor=request.user, **data)
    except BusinessRuleError as error:
        _errors(request, error)
    else:
        messages.success(request, success)
    return redirect("governance:director", slug=slug)


@require_POST
def director_interim(request, slug: str):
    groupement = get_groupement_for(request, slug, perms.MANAGE_DIRECTOR)
    form = forms.InterimForm(request.POST)
    if form.is_valid():
        try:
            services.director_interim_open(groupement=groupement, actor=request.user, **form.cleaned_data)
        except BusinessRuleError as error:
            _errors(request, error)
        else:
            messages.success(request, "Dossier d'intérim ouvert.")
    else:
        _form_errors(request, form)
    return redirect("governance:director", slug=slug)


@require_POST
def director_file_request(request, slug: str, nomination_id: int):
    from documents.services import document_request

    groupement = get_groupement_for(request, slug, perms.MANAGE_DIRECTOR)
    nomination = get_object_or_404(DirectorNomination, groupement=groupement, pk=nomination_id)
    job = document_request(kind="director_file", groupement=groupement, subject=nomination, actor=request.user)
    messages.success(request, "Le dossier de nomination est en préparation.")
    return redirect("documents:job_detail", slug=slug, pk=job.pk)


# --- Portal -------------------------------------------------------------------------------------------------


@require_POST
def portal_proxy(request, attendance_id: int):
    attendance = get_object_or_404(
        Attendance.objects.select_related("meeting__groupement", "membership__legal_entity").prefetch_related(
            "membership__legal_entity__establishments"
        ),
        pk=attendance_id,
    )
    meeting = attendance.meeting
    if not perms.can_give_proxy(request_checker(request), meeting, attendance.membership):
        raise PermissionDenied("Seul le directeur d'un établissement du membre donne sa procuration, avant la séance.")
    holders = list(meeting.attendances.exclude(pk=attendance.pk).select_related("membership__legal_entity"))
    form = forms.ProxyForm(request.POST, holders=holders)
    if form.is_valid():
        holder = next((a.membership for a in holders if a.membership_id == form.cleaned_data["holder"]), None)
        try:
            services.proxy_give(meeting=meeting, membership=attendance.membership, holder=holder, actor=request.user)
        except BusinessRuleError as error:
            _errors(request, error)
        else:
            messages.success(request, "Procuration donnée." if holder else "Procuration retirée.")
    else:
        _form_errors(request, form)
    return redirect("members:portal")


def portal_context(request) -> dict:
    """What the members portal shows of governance (used by its view, rendered by the include)."""
    upcoming, past = selectors.portal_meetings(user=request.user)
    for item in upcoming:
        item.form = forms.ProxyForm(initial={"holder": item.attendance.proxy_holder_id}, holders=item.holders)
    return {"governance_upcoming": upcoming, "governance_past": past, "MeetingStatus": MeetingStatus}
