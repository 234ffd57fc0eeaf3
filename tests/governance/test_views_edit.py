"""The "Edit proposal" page: the author (or staff) changes the text and the deadline of a draft
or a proposal in discussion, without JavaScript; bad input and edits after voting opened change
nothing and say why; nobody else sees the page or the link."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coop.models import AuditRecord
from governance.models import Proposal
from tests.governance.factories import TEST_JOB, make_proposal, open_proposal
from tests.governance.helpers import detail_url, signed_in
from tests.membership.factories import (
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FIELD = "%Y-%m-%dT%H:%M"  # what the datetime-local field sends


def edit_url(p) -> str:
    return f"/governance/proposals/{p.pk}/edit/"


def snapshot(p: Proposal) -> tuple:
    p.refresh_from_db()
    return (p.title, p.body, p.closes_at, p.status)


def audit_updates(p) -> int:
    return AuditRecord.objects.filter(action="proposal.updated", object_id=str(p.pk)).count()


def form_data(p: Proposal, **overrides) -> dict:
    data = {
        "title": p.title,
        "body": p.body,
        "closes_at": timezone.localtime(p.closes_at).strftime(FIELD),
    }
    data.update(overrides)
    return data


# --- the page and the link ----------------------------------------------------------------


def test_the_page_shows_the_current_text_and_deadline(client, crew):
    p = make_proposal(author=crew[0], title="Buy a cargo bike", body="For deliveries in town.")
    html = signed_in(client, crew[0].user).get(edit_url(p)).content.decode()
    assert "<h1>Edit proposal</h1>" in html
    assert 'value="Buy a cargo bike"' in html
    assert "For deliveries in town.</textarea>" in html
    assert f'value="{timezone.localtime(p.closes_at).strftime(FIELD)}"' in html
    # The rules are not on the form: they were fixed at creation.
    for absent in ('name="method"', 'name="quorum_percent"', 'name="options"', 'name="category"'):
        assert absent not in html
    # The proposal's own floors, copied from its category when it was made.
    assert "This proposal needs a voting period of at least 72 hours" in html


def test_the_detail_page_links_to_the_editor_only_for_who_may_edit(client, crew):
    p = make_proposal(author=crew[0])
    link = f'href="{edit_url(p)}"'
    assert link in signed_in(client, crew[0].user).get(detail_url(p)).content.decode()
    assert link in signed_in(client, StaffFactory()).get(detail_url(p)).content.decode()
    assert link not in signed_in(client, crew[1].user).get(detail_url(p)).content.decode()
    # Once voting opened, not even the author gets it.
    open_proposal(p)
    assert link not in signed_in(client, crew[0].user).get(detail_url(p)).content.decode()
    assert link not in signed_in(client, StaffFactory()).get(detail_url(p)).content.decode()


# --- saving -------------------------------------------------------------------------------


def test_the_author_saves_new_text_and_deadline_with_an_audit_record(client, crew):
    p = make_proposal(author=crew[0])
    new_close = (timezone.localtime() + timedelta(days=9)).replace(second=0, microsecond=0)
    response = signed_in(client, crew[0].user).post(
        edit_url(p),
        form_data(
            p,
            title="  Buy two cargo bikes ",
            body="One for the north side too.",
            closes_at=new_close.strftime(FIELD),
        ),
    )
    assert response.status_code == 302 and response["Location"] == detail_url(p)
    p.refresh_from_db()
    assert (p.title, p.body, p.closes_at) == (
        "Buy two cargo bikes",
        "One for the north side too.",
        new_close,
    )
    assert audit_updates(p) == 1
    html = client.get(detail_url(p)).content.decode()
    assert "Your changes were saved." in html and "Buy two cargo bikes" in html


def test_staff_edit_a_members_draft(client, crew):
    p = make_proposal(author=crew[0], draft=True)
    response = signed_in(client, StaffFactory()).post(edit_url(p), form_data(p, title="Tidied"))
    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.title, p.status) == ("Tidied", "draft")


def test_an_untouched_deadline_is_left_as_it_was(client, crew):
    """The field has minutes only: saving the text must not move a deadline that has seconds,
    nor be refused because that deadline is now closer than the category's minimum."""
    p = make_proposal(author=crew[0], closes_in=timedelta(days=4))
    Proposal.objects.filter(pk=p.pk).update(
        closes_at=timezone.now() + timedelta(hours=50, seconds=17)  # under the 72 h minimum
    )
    p.refresh_from_db()
    before = p.closes_at
    response = signed_in(client, crew[0].user).post(edit_url(p), form_data(p, body="Typo fixed."))
    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.body, p.closes_at) == ("Typo fixed.", before)


def test_saving_without_a_change_writes_nothing(client, crew):
    p = make_proposal(author=crew[0])
    response = signed_in(client, crew[0].user).post(edit_url(p), form_data(p), follow=True)
    assert "Nothing was changed." in response.content.decode()
    assert audit_updates(p) == 0


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "   "}, "title", "This field is required."),
        ({"body": ""}, "body", "This field is required."),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"closes_at": "next week"}, "closes_at", "Enter a valid date/time."),
        ({"closes_at": ""}, "closes_at", "This field is required."),
    ],
)
def test_bad_input_shows_the_field_error_and_changes_nothing(
    client, crew, overrides, field, message
):
    p = make_proposal(author=crew[0])
    before = snapshot(p)
    data = form_data(p, **{"title": "A new title", **overrides})
    response = signed_in(client, crew[0].user).post(edit_url(p), data)
    html = response.content.decode()
    assert response.status_code == 400
    # In the summary at the top, named by the field's label and linked to it, and beside it.
    assert "Nothing was saved: one thing needs correcting" in html
    assert f'<a href="#id_{field}">' in html
    assert message in html
    assert f'id="id_{field}_error"' in html  # the error sits with (and describes) its field
    assert 'id="id_closes_at_helptext"' in html  # the category's minimum, still explained
    assert snapshot(p) == before and audit_updates(p) == 0


def test_a_deadline_too_soon_for_the_category_is_refused_on_its_field(client, crew):
    p = make_proposal(author=crew[0])
    before = snapshot(p)
    too_soon = (timezone.localtime() + timedelta(hours=5)).strftime(FIELD)
    response = signed_in(client, crew[0].user).post(
        edit_url(p), form_data(p, title="Sooner", closes_at=too_soon)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "needs a voting period of at least 72 hours" in html
    assert 'id="id_closes_at_error"' in html
    assert snapshot(p) == before and audit_updates(p) == 0


# --- who may edit -------------------------------------------------------------------------


def test_nobody_else_may_edit(client, crew):
    p = make_proposal(author=crew[0])
    draft = make_proposal(author=crew[0], draft=True, title="Private draft")
    before = snapshot(p)
    signed_in(client, crew[1].user)
    assert client.get(edit_url(p)).status_code == 404
    assert client.post(edit_url(p), form_data(p, title="Hijacked")).status_code == 404
    assert client.get(edit_url(draft)).status_code == 404
    # Signed in without a member row: members only, as on every governance page.
    response = signed_in(client, UserFactory()).post(edit_url(p), form_data(p, title="Hijacked"))
    assert response.status_code == 403 and "Members only" in response.content.decode()
    # Not signed in: to the sign-in page.
    client.logout()
    response = client.post(edit_url(p), form_data(p, title="Hijacked"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert snapshot(p) == before and audit_updates(p) == 0


def test_a_proposal_made_through_a_partner_key_is_staffs_to_edit(client, crew):
    p = make_proposal(author=None)
    assert signed_in(client, crew[0].user).get(edit_url(p)).status_code == 404
    assert signed_in(client, StaffFactory()).get(edit_url(p)).status_code == 200


# --- once voting opened -------------------------------------------------------------------


def test_once_voting_opened_the_page_says_so_and_nothing_changes(client, crew):
    p = open_proposal(make_proposal(author=crew[0]))
    before = snapshot(p)
    signed_in(client, crew[0].user)
    response = client.get(edit_url(p), follow=True)
    assert response.redirect_chain == [(detail_url(p), 302)]
    assert "Voting has opened: the text and rules of this proposal are frozen" in (
        response.content.decode()
    )
    response = client.post(edit_url(p), form_data(p, title="Too late", body="Changed my mind."))
    html = response.content.decode()
    assert response.status_code == 409
    assert "Voting has opened: the text and rules of this proposal are frozen" in html
    assert "Nothing was saved." in html
    assert "Changed my mind." in html  # given back to keep a copy, read-only
    assert "readonly" in html and "Save changes" not in html
    assert snapshot(p) == before and audit_updates(p) == 0


def test_staff_cannot_edit_after_the_opening_either(client, crew):
    p = open_proposal(make_proposal(author=crew[0]))
    before = snapshot(p)
    response = signed_in(client, StaffFactory()).post(edit_url(p), form_data(p, title="Staff"))
    assert response.status_code == 409
    assert snapshot(p) == before


def test_a_withdrawn_proposal_cannot_be_edited(client, crew):
    from governance import services

    p = make_proposal(author=crew[0])
    services.proposal_withdraw(proposal=p, actor=crew[0].user)
    before = snapshot(p)
    signed_in(client, crew[0].user)
    html = client.get(edit_url(p), follow=True).content.decode()
    assert "This proposal was withdrawn: it can no longer be edited." in html
    assert client.post(edit_url(p), form_data(p, title="Back")).status_code == 409
    assert snapshot(p) == before


def test_voting_opening_between_the_page_and_the_save_is_refused(client, crew, monkeypatch):
    """The status read by the view is stale when the service takes its lock: the service's
    refusal (Conflict) comes back as the same clear page, not a 500."""
    from governance import services, views

    p = make_proposal(author=crew[0])
    real_update = services.proposal_update

    def open_first(**kwargs):
        services.proposal_open(actor=TEST_JOB, proposal=kwargs["proposal"])
        return real_update(**kwargs)

    monkeypatch.setattr(views.proposals.services, "proposal_update", open_first)
    response = signed_in(client, crew[0].user).post(edit_url(p), form_data(p, title="Racing"))
    assert response.status_code == 409
    assert "Voting has opened" in response.content.decode()
    p.refresh_from_db()
    assert (p.title, p.status) == ("Buy a cargo bike", "voting")
    assert audit_updates(p) == 0
