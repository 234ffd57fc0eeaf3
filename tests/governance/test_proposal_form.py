"""The proposal form and page (issue #8 items 17 and 18): a default deadline the category
allows, errors named by label beside the field and in a linked summary, only the method's
fields used, times in the cooperative's time zone; the discussion period and the early opening
on the proposal page and in the admin."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from coop.models import AuditRecord
from governance.forms import default_closes_at
from governance.models import Category, Proposal
from tests.governance.factories import make_proposal
from tests.governance.helpers import active_members

pytestmark = pytest.mark.django_db

NEW = "/governance/proposals/new/"
FIELD = "%Y-%m-%dT%H:%M"


def html_of(response) -> str:
    return response.content.decode()


def field_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return found.group(1) if found else ""


def posted(author, client, **overrides):
    """The form as the page fills it in by default, with a title and a text."""
    client.force_login(author.user)
    page = html_of(client.get(NEW))
    general = Category.objects.get(slug="general")
    data = {"title": "Open a shop", "body": "A small shop in town.", "category": general.pk,
            "method": "yes_no", "tally_mode": "member", "threshold": "", "quorum_percent": "",
            "class_quorum_percent": "", "options": "", "seats": "", "opens_at": "",
            "closes_at": field_value(page, "closes_at"), "save": "discussion"}
    data.update(overrides)
    return client.post(NEW, data)


# --- the default deadline follows the category ----------------------------------------------


def test_the_default_deadline_is_the_earliest_the_category_allows_and_is_accepted(client):
    author = active_members(1)[0]
    client.force_login(author.user)
    html = html_of(client.get(NEW))
    general = Category.objects.get(slug="general")
    default = datetime.strptime(field_value(html, "closes_at"), FIELD).replace(
        tzinfo=timezone.get_current_timezone())
    assert default - timezone.now() >= timedelta(hours=48 + 72)
    assert default - timezone.now() <= timedelta(hours=48 + 72 + 1)
    assert "The General category needs 48 hours of discussion and then at least 72 hours" in html
    # Every category's option carries its own earliest deadline, for the page's script.
    for category in Category.objects.all():
        assert (f'data-closes-at="{default_closes_at(category).strftime(FIELD)}"' in html)
    assert general.name in html

    # when: the defaults are sent as they are
    response = posted(author, client)
    # then: the service accepts them
    assert response.status_code == 302, html_of(response)
    assert Proposal.objects.get().closes_at == default


@pytest.mark.parametrize("slug", ["bylaws", "election", "policy"])
def test_a_category_chosen_by_link_gets_its_own_default_deadline(client, slug):
    author = active_members(1)[0]
    client.force_login(author.user)
    category = Category.objects.get(slug=slug)
    html = html_of(client.get(NEW, {"category": slug}))
    assert re.search(rf'<option value="{category.pk}"[^>]*selected', html)
    closes = field_value(html, "closes_at")
    assert closes == default_closes_at(category).strftime(FIELD)
    response = posted(author, client, category=category.pk, closes_at=closes)
    assert response.status_code == 302, html_of(response)
    assert Proposal.objects.get().category == category


# --- errors: by label, beside the field, in a summary at the top ----------------------------


def summary_of(html: str) -> str:
    start = html.index('id="error-summary"')
    return html[start:html.index("</div>", start)]


def test_errors_name_the_field_by_its_label_beside_it_and_in_a_linked_summary(client):
    author = active_members(1)[0]
    response = posted(author, client, title="", quorum_percent="101")
    assert response.status_code == 400
    html = html_of(response)
    summary = summary_of(html)
    assert "2 things need correcting" in summary
    assert '<a href="#id_title">Title: This field is required.</a>' in summary
    assert ('<a href="#id_quorum_percent">Quorum (%): Ensure this value is less than or equal '
            'to 100.</a>') in summary
    assert summary.index("#id_title") < summary.index("#id_quorum_percent")  # the page's order
    # Beside the fields too (Django links them with aria-describedby).
    assert 'id="id_title_error"' in html and 'id="id_quorum_percent_error"' in html
    assert "<title>Error: Make a proposal" in html
    assert not Proposal.objects.exists()


def test_a_deadline_too_soon_for_the_category_is_named_by_its_label(client):
    author = active_members(1)[0]
    too_soon = (timezone.localtime() + timedelta(hours=30)).strftime(FIELD)
    html = html_of(posted(author, client, closes_at=too_soon))
    summary = summary_of(html)
    assert "one thing needs correcting" in summary
    assert ('<a href="#id_closes_at">Voting closes at: The general category needs 48 hours of '
            'discussion and then a voting period of at least 72 hours') in summary
    assert 'id="id_closes_at_error"' in html
    assert not Proposal.objects.exists()


def test_a_rule_of_the_service_shows_on_its_field_and_in_the_summary(client):
    author = active_members(1)[0]
    response = posted(author, client, quorum_percent="5")
    html = html_of(response)
    assert response.status_code == 400
    assert ('<a href="#id_quorum_percent">Quorum (%): The general category needs a quorum of at '
            'least 10 %.</a>') in html
    assert 'id="id_quorum_percent_error"' in html


# --- only the fields of the chosen method ---------------------------------------------------


def test_the_page_groups_the_fields_by_the_methods_they_apply_to(client):
    author = active_members(1)[0]
    client.force_login(author.user)
    html = html_of(client.get(NEW))
    choice = html[html.index('id="choice-rules"') - 80:html.index("</fieldset>", html.index(
        'id="choice-rules"'))]
    options = html[html.index('id="option-rules"') - 80:html.index("</fieldset>", html.index(
        'id="option-rules"'))]
    assert 'data-methods="yes_no consent"' in choice and 'name="threshold"' in choice
    assert 'name="tally_mode"' in choice and 'name="options"' not in choice
    assert 'data-methods="approval ranked"' in options and 'name="options"' in options
    assert 'name="seats"' in options and 'name="threshold"' not in options
    # Without JavaScript both show: neither is hidden by the server.
    assert " hidden" not in choice.split(">")[0] and " hidden" not in options.split(">")[0]


def test_the_fields_of_the_other_method_are_ignored(client):
    author = active_members(1)[0]
    # A yes/no vote with options and bad seats typed into the (hidden) approval section.
    response = posted(author, client, options="A\nB", seats="-3")
    assert response.status_code == 302, html_of(response)
    yes_no = Proposal.objects.get()
    assert (yes_no.method, yes_no.seats, yes_no.options.count()) == ("yes_no", 1, 0)
    # An approval vote with a threshold and a tally mode typed into the yes/no section.
    response = posted(author, client, title="Board", method="approval", options="A\nB\nC",
                      seats="2", threshold="most", tally_mode="concurrent")
    assert response.status_code == 302, html_of(response)
    approval = Proposal.objects.get(title="Board")
    assert (approval.tally_mode, approval.threshold, approval.seats) == ("member", "majority", 2)


# --- times in the cooperative's time zone -----------------------------------------------------


@override_settings(TIME_ZONE="Europe/Paris")
def test_times_are_typed_and_shown_in_the_cooperatives_time_zone(client):
    author = active_members(1)[0]
    client.force_login(author.user)
    html = html_of(client.get(NEW))
    assert "In the cooperative's time zone, Europe/Paris." in html
    paris = ZoneInfo("Europe/Paris")
    default = datetime.strptime(field_value(html, "closes_at"), FIELD).replace(tzinfo=paris)
    assert default == default_closes_at(Category.objects.get(slug="general"))

    response = posted(author, client, closes_at="2030-06-01T12:00", opens_at="2030-05-20T09:30")
    assert response.status_code == 302, html_of(response)
    made = Proposal.objects.get()
    assert made.closes_at == datetime(2030, 6, 1, 10, 0, tzinfo=ZoneInfo("UTC"))  # 12:00 CEST
    assert made.opens_at == datetime(2030, 5, 20, 9, 30, tzinfo=paris)
    page = html_of(client.get(f"/governance/proposals/{made.pk}/"))
    assert "1 Jun 2030, 12:00 CEST" in page and "20 May 2030, 09:30 CEST" in page


def test_an_opening_before_the_discussion_ends_is_refused_on_its_field(client):
    author = active_members(1)[0]
    soon = (timezone.localtime() + timedelta(hours=3)).strftime(FIELD)
    html = html_of(posted(author, client, opens_at=soon))
    assert ('<a href="#id_opens_at">Voting opens at (optional): The general category needs 48 '
            'hours of discussion first') in html
    assert not Proposal.objects.exists()


# --- the proposal page: discussion period and early opening ----------------------------------


def test_the_author_waits_for_the_discussion_period_and_staff_may_open_early(client, staff):
    author = active_members(3)[0]
    proposal = make_proposal(author=author, discussed=False, closes_in=timedelta(days=6))
    url = f"/governance/proposals/{proposal.pk}/"
    client.force_login(author.user)
    html = html_of(client.get(url))
    assert "Voting can open once the discussion period ends" in html
    assert ">Open voting</button>" not in html and "Open voting early" not in html
    assert "at least 48 hours, until" in html

    client.force_login(staff)
    html = html_of(client.get(url))
    assert "Open voting early</button>" in html
    assert "Reason for opening before the discussion period ends" in html
    refused = html_of(client.post(f"{url}open/", {"reason": ""}, follow=True))
    assert "To open it earlier, give a reason" in refused
    opened = html_of(client.post(f"{url}open/", {"reason": "The assembly meets on Monday."},
                                 follow=True))
    assert "Voting is open: 3 members may vote." in opened
    assert "Opened early" in opened
    assert "because: The assembly meets on Monday." in opened
    proposal.refresh_from_db()
    assert proposal.open_early_reason == "The assembly meets on Monday."


def test_a_scheduled_opening_shows_on_the_page(client):
    author = active_members(1)[0]
    opens = timezone.now() + timedelta(hours=50)
    proposal = make_proposal(author=author, discussed=False, closes_in=timedelta(days=6),
                             opens_at=opens)
    client.force_login(author.user)
    html = html_of(client.get(f"/governance/proposals/{proposal.pk}/"))
    assert "Voting opens</dt>" in html and "(scheduled)" in html
    assert "it is scheduled to open on" in html


def test_staff_open_early_from_the_admin_with_a_reason(staff_client):
    active_members(2)
    proposal = make_proposal(discussed=False, closes_in=timedelta(days=6))
    changelist = reverse("admin:governance_proposal_changelist")
    asked = staff_client.post(changelist, {"action": "open_voting_early",
                                           "_selected_action": [proposal.pk]})
    assert asked.status_code == 200
    assert "Open voting on 1 proposal" in html_of(asked)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DISCUSSION
    # The plain action refuses, saying why.
    plain = html_of(staff_client.post(changelist, {"action": "open_voting",
                                                   "_selected_action": [proposal.pk]},
                                      follow=True))
    assert "runs until" in plain
    done = staff_client.post(changelist, {"action": "open_voting_early", "confirm": "yes",
                                          "_selected_action": [proposal.pk],
                                          "reason": "Urgent: the lease ends."}, follow=True)
    assert "Opened 1 proposal" in html_of(done)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.VOTING
    assert proposal.open_early_reason == "Urgent: the lease ends."
    record = AuditRecord.objects.get(action="proposal.voting", object_id=str(proposal.pk))
    assert record.facts["reason"] == "Urgent: the lease ends."
    page = html_of(staff_client.get(reverse("admin:governance_proposal_change",
                                            args=[proposal.pk])))
    assert "Urgent: the lease ends." in page


def test_the_author_schedules_the_opening_on_the_edit_page(client):
    author = active_members(1)[0]
    proposal = make_proposal(author=author, discussed=False, closes_in=timedelta(days=6))
    client.force_login(author.user)
    url = f"/governance/proposals/{proposal.pk}/edit/"
    html = html_of(client.get(url))
    assert 'name="opens_at"' in html and "after its discussion period ends" in html
    data = {"title": proposal.title, "body": proposal.body,
            "closes_at": timezone.localtime(proposal.closes_at).strftime(FIELD)}
    too_soon = (timezone.localtime() + timedelta(hours=5)).strftime(FIELD)
    refused = client.post(url, {**data, "opens_at": too_soon})
    assert refused.status_code == 400
    assert "48 hours of discussion first" in html_of(refused)
    later = timezone.localtime() + timedelta(hours=60)
    assert client.post(url, {**data, "opens_at": later.strftime(FIELD)}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.opens_at == later.replace(second=0, microsecond=0)


def test_the_list_says_until_when_a_proposal_is_discussed_and_when_voting_opens(client):
    author = active_members(1)[0]
    opens = timezone.now() + timedelta(hours=50)
    proposal = make_proposal(author=author, discussed=False, closes_in=timedelta(days=6),
                             opens_at=opens, title="Scheduled one")
    client.force_login(author.user)
    html = html_of(client.get("/governance/", {"show": "discussion"}))
    local = timezone.localtime
    assert (f"In discussion until at least <time datetime=\"{proposal.discussion_ends_at:%Y-%m-%dT}"
            in html)
    assert f"{local(proposal.discussion_ends_at):%-d %b %Y, %H:%M}</time>" in html
    assert f"voting opens <time datetime=\"{opens:%Y-%m-%dT}" in html
    assert f"{local(opens):%-d %b %Y, %H:%M}</time>" in html
