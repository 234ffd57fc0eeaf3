"""The proposal's admin page, as staff read it: what they may change comes first."""

import re

import pytest
from django.urls import reverse

from tests.governance.test_services import new_proposal
from tests.membership.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_the_proposal_page_shows_what_staff_may_change_first(client):
    client.force_login(StaffFactory())
    proposal = new_proposal(title="Solar panels on the studio")
    url = reverse("admin:governance_proposal_change", args=[proposal.pk])
    html = client.get(url).content.decode()
    headings = re.findall(r'<h2 id="fieldset-[^"]*heading"[^>]*>([^<]+)</h2>', html)
    # The first section says it is the editable part; every section after it says read-only.
    assert headings[0] == "What you may change"
    assert headings[1:] and all("read-only" in h for h in headings[1:]), headings
    first = html.index(headings[0])
    second = html.index(headings[1])
    # The one editable field is in the first section, as a form control ...
    editable = re.search(r'<textarea[^>]*name="outcome_statement"', html)
    assert editable and first < editable.start() < second
    # ... and the proposal's own text follows, read-only.
    assert second < html.index("Solar panels on the studio", second)
    assert not re.search(r'<(input|textarea|select)[^>]*name="title"', html)


def test_every_model_field_still_has_a_place_on_the_page(client):
    from django.contrib import admin

    from governance.models import Proposal

    model_admin = admin.site._registry[Proposal]
    shown = {name for _, options in model_admin.get_fieldsets(None) for name in options["fields"]}
    fields = {f.name for f in Proposal._meta.fields if not f.primary_key}
    assert fields - shown == set(model_admin.exclude)
