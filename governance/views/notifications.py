"""The member's inbox: notices, their settings, marking them read."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from coop import notices
from coop.pagination import CountlessPage
from membership.models import Member
from membership.selectors import member_of

from .. import selectors, services
from ..forms import (
    MarkReadForm,
    NoticeEmailForm,
)
from ._common import PAGE_SIZE, _members_only

# --- notifications ------------------------------------------------------------------------

def _members_inbox(view):
    """Pass the signed-in person's member row; notifications are a member's (staff without a
    member row have none)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        member = member_of(request.user)
        if member is None:
            return _members_only(request)
        return view(request, member, *args, **kwargs)

    return wrapper


@login_required
@require_GET
@_members_inbox
def notifications(request, member: Member):
    notes = selectors.notifications_for(member)
    page = CountlessPage.of(notes, request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "governance/notifications.html",
        {
            "page": page,
            # With its offset: a local time would be ambiguous in the hour the clocks go back.
            "mark_form": MarkReadForm(initial={"up_to": timezone.now().isoformat()}),
            "email_form": NoticeEmailForm(choices=notices.email_choices(member)),
        },
    )


@login_required
@require_POST
@_members_inbox
def notification_settings(request, member: Member):
    """Which kinds of notice come by email too (the inbox always has them)."""
    form = NoticeEmailForm(request.POST, choices=notices.email_choices(member))
    if form.is_valid():
        notices.notice_preferences_set(recipient=member, email=form.chosen())
        messages.success(request, "Your email settings are saved.")
    else:
        messages.error(request, "Nothing was saved: reload the page and try again.")
    return redirect("governance:notifications")


@login_required
@require_POST
@_members_inbox
def notifications_read(request, member: Member):
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was marked as read: reload the page and try again.")
        return redirect("governance:notifications")
    count = services.notifications_mark_read(member=member, up_to=form.cleaned_data["up_to"])
    messages.success(
        request,
        f"{count} notification{'' if count == 1 else 's'} marked as read."
        if count
        else "There was nothing unread.",
    )
    return redirect("governance:notifications")
