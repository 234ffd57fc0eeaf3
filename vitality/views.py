"""Vitality's pages: the pulse survey's answer (posted from the member home's block), the
dashboard (members and staff) and its CSV export."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from coop.errors import ServiceError
from membership.selectors import member_of

from . import blocks, rules, services
from .forms import PulseForm


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_POST
def pulse(request):
    """The member's answer: saved, then back to the home page (without JavaScript) or the
    block again (htmx). Errors are shown by field in the block."""
    member = member_of(request.user)
    if not rules.may_answer(member):
        return HttpResponseForbidden("Only active members answer the pulse survey.")
    form = PulseForm(request.POST)
    if form.is_valid():
        try:
            _, created = services.pulse_answer(actor=request.user, member=member,
                                               score=form.cleaned_data["score"],
                                               comment=form.cleaned_data["comment"])
        except ServiceError as error:
            for field, errors in (error.errors or {"score": [str(error)]}).items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            text = "Thank you: your answer is saved." if created else "Your answer is changed."
            if _htmx(request):
                block = blocks.pulse(member)
                return render(request, "vitality/pulse_partial.html",
                              {"block": block, "thanks": text})
            messages.success(request, text)
            return redirect("home")
    block = blocks.pulse(member, form=form)
    template = "vitality/pulse_partial.html" if _htmx(request) else "vitality/pulse_page.html"
    return render(request, template, {"block": block}, status=400)
