"""The member pages. They read through membership.selectors (constant query counts, pinned in
tests/membership/test_views.py) and write only through membership.services."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from coop.errors import ServiceError
from coop.models import Cooperative
from coop.money import format_minor as money  # minor units as text: "1,250.00 EUR"
from coop.pagination import CountlessPage

from . import bylaws, rules, selectors, services
from .forms import ApplicationForm, DirectoryFilterForm, ProfileNameForm, add_service_error
from .models import Application, Member, ShareCertificate, StakeholderClass

DIRECTORY_PAGE_SIZE = 25


# --- helpers ------------------------------------------------------------------------------

def _wants_partial(request) -> bool:
    # A history restore asks for the whole page even though it comes from htmx.
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _render(request, template: str, context: dict, *, partial: str | None = None,
            status: int = 200):
    """Render the page, or only its `partial` for an htmx request."""
    name = f"{template}#{partial}" if partial and _wants_partial(request) else template
    response = render(request, name, context, status=status)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _member_of(user) -> Member | None:
    member = selectors.member_of(user)
    if user.is_authenticated:
        # The navigation reads user.member: remember this answer (a row or "none") instead
        # of asking the database again.
        Member.user.field.remote_field.set_cached_value(user, member)
    return member




def _class_rows(currency: str) -> list[dict]:
    return [
        {"cls": c, "price": money(c.share_price_minor, currency),
         "buy_in": money(c.share_price_minor * c.min_shares, currency)}
        for c in StakeholderClass.objects.order_by("name")
    ]


# --- pages --------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def apply(request):
    cooperative = Cooperative.current()
    member = _member_of(request.user)
    if member is not None:
        messages.info(request, f"You are already member number {member.member_number}.")
        return redirect("home")
    in_progress = (Application.objects.filter(user=request.user, status=Application.Status.PENDING)
                   .select_related("stakeholder_class").first())
    if request.method == "POST":
        form = ApplicationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = bylaws.accepted_version(data["bylaws_version"], cooperative)
                services.application_submit(
                    stakeholder_class=data["stakeholder_class"], shares=data["shares"],
                    name=data["name"], email=request.user.email, user=request.user,
                    motivation=data["motivation"], referred_by=data["referrer_number"],
                    organisation_name=data["organisation_name"],
                    registration_number=data["registration_number"],
                    bylaws_version=version, actor=request.user,
                )
            except ServiceError as error:
                add_service_error(form, error, ApplicationForm.SERVICE_FIELDS)
            else:
                messages.success(request, "Thank you: your application was received. We will "
                                          "email you when it has been decided.")
                if _wants_partial(request):
                    return HttpResponseClientRedirect(reverse("home"))
                return redirect("home")
    else:
        form = ApplicationForm(initial={"name": request.user.full_name})
    current_bylaws = bylaws.current()
    return _render(request, "membership/apply.html", {
        "coop": cooperative, "form": form, "in_progress": in_progress,
        "classes": _class_rows(cooperative.currency),
        "bylaws": current_bylaws,
        "bylaws_version": current_bylaws.version if current_bylaws
        else cooperative.bylaws_version,
    }, partial="form")


def bylaws_page(request, version: str | None = None):
    """The bylaws, public: the current version at /bylaws/, any published one by its label
    (the version an application recorded stays readable after a newer one is adopted)."""
    versions = list(bylaws.published().only("version", "adopted_on"))
    if version is None:
        shown = bylaws.published().first()
    else:
        shown = bylaws.published().filter(version=version).first()
        if shown is None:
            raise Http404("No published bylaws have this version.")
    return render(request, "membership/bylaws.html", {
        "coop": Cooperative.current(), "bylaws": shown, "versions": versions,
        "is_current": shown is not None and versions and versions[0].pk == shown.pk,
    })


@login_required
def directory(request):
    viewer = _member_of(request.user)
    if not rules.may_see_directory(request.user, viewer):
        return render(request, "membership/members_only.html", status=403)
    form = DirectoryFilterForm(request.GET)
    q, stakeholder_class = "", None
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        chosen = form.cleaned_data["stakeholder_class"]
        stakeholder_class = chosen.slug if chosen else None
    page = CountlessPage.of(
        selectors.member_directory(search=q, stakeholder_class=stakeholder_class),
        request.GET.get("page"), DIRECTORY_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return _render(request, "membership/directory.html", {
        "form": form, "page": page, "query": query.urlencode(), "viewer": viewer,
    }, partial="results")


@login_required
def certificate(request, number: int):
    cert = (ShareCertificate.objects
            .select_related("member__stakeholder_class", "member__subscription")
            .filter(certificate_number=number).first())
    # Someone else's certificate answers like a missing one: numbers are not to be probed.
    if cert is None or not rules.may_see_certificate(request.user, cert):
        raise Http404("No such certificate.")
    cooperative = Cooperative.current()
    return render(request, "membership/certificate.html", {
        "coop": cooperative, "certificate": cert, "member": cert.member,
        "price": money(cert.member.subscription.share_price_minor, cooperative.currency),
    })


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    member = _member_of(request.user)
    if request.method == "POST":
        form = ProfileNameForm(request.POST)
        if form.is_valid():
            try:
                services.profile_update(user=request.user,
                                        full_name=form.cleaned_data["full_name"],
                                        actor=request.user)
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Your name was saved.")
                return redirect("profile")
    else:
        form = ProfileNameForm(initial={"full_name": request.user.full_name})
    return render(request, "membership/profile.html", {"form": form, "member": member})


@login_required
@require_POST
def profile_visibility(request):
    member = _member_of(request.user)
    if member is None:
        messages.error(request, "Only members are listed in the directory.")
        return redirect("profile")
    visible = request.POST.get("visible") == "1"
    services.member_directory_visibility_set(member=member, visible=visible, actor=request.user)
    notice = ("You are listed in the members directory." if visible
              else "You are hidden from the members directory.")
    if _wants_partial(request):
        return _render(request, "membership/profile.html",
                       {"member": member, "visibility_notice": notice}, partial="visibility")
    messages.success(request, notice)
    return redirect("profile")
