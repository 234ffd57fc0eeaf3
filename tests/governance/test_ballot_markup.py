"""The ballots' markup as the server sends it (issue #8 item 21): the approval ballot is a
fieldset with a legend whose checkboxes each have their own label; the ranked ballot without
JavaScript keeps its help about the selects, marked so that the script can hide it; after a
vote through htmx the confirmation is the element that takes the focus. The same ballots in
Chromium (focus, the disabled look, no duplicated heading): tests/e2e/test_ballots.py."""

import re

import pytest

from tests.governance.helpers import close, option_ids, signed_in, voting

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def vote_section(html: str) -> str:
    return re.search(r'<section id="vote".*?</section>', html, re.S).group()


def test_the_approval_ballot_is_a_fieldset_with_a_label_for_each_box(client, crew):
    p = voting(author=crew[0], method="approval",
               options=["Alice", "Bob", "A cooperative bakery with a very long name"])
    html = vote_section(signed_in(client, crew[1].user).get(f"/governance/proposals/{p.pk}/")
                        .content.decode())
    fieldset = re.search(r'<fieldset class="approval"[^>]*>(.*?)</fieldset>', html, re.S)
    assert fieldset, html
    assert '<fieldset class="approval" aria-describedby="approvals-help">' in fieldset.group()
    inner = fieldset.group(1)
    assert re.search(r"^\s*<legend>The options you approve</legend>", inner)
    assert 'id="approvals-help">Approve as many as you like' in inner
    boxes = re.findall(r'<input type="checkbox" name="approvals" value="(\d+)"[^>]*id="([^"]+)"',
                       inner)
    assert [int(value) for value, _ in boxes] == option_ids(p)
    labels = dict(re.findall(r'<label for="([^"]+)">([^<]+)</label>', inner))
    assert [labels[box_id] for _, box_id in boxes] == [
        "Alice", "Bob", "A cooperative bakery with a very long name"]
    # Each box is beside its label, not inside a shared one: one <li> each.
    assert len(re.findall(r"<li>", inner)) == 3


def test_a_bad_approval_shows_its_error_inside_the_fieldset(client, crew):
    p = voting(author=crew[0], method="approval")
    response = signed_in(client, crew[1].user).post(f"/governance/proposals/{p.pk}/vote/",
                                                    {"approvals": ["999999"]})
    assert response.status_code == 400
    fieldset = re.search(r'<fieldset class="approval".*?</fieldset>', response.content.decode(),
                         re.S).group()
    assert '<ul class="errorlist" id="id_approvals_error">' in fieldset
    assert 'aria-describedby="approvals-help id_approvals_error"' in fieldset  # read with it


def test_the_ranked_ballot_without_javascript_keeps_its_own_help(client, crew):
    p = voting(author=crew[0], method="ranked")
    html = vote_section(signed_in(client, crew[1].user).get(f"/governance/proposals/{p.pk}/")
                        .content.decode())
    # The help speaks of the selects: it is marked so that ranking.js hides it with them.
    assert re.search(r'<p class="help no-js-help" id="ranking-help">Give your 1st choice', html)
    assert html.count('<label for="id_rank_') == 3
    # One heading "Your ranking" (the legend): the page itself adds no second one.
    assert html.count("Your ranking") == 1


@pytest.mark.parametrize("method,ballot", [
    ("yes_no", {"choice": "yes"}),
    ("ranked", None),
])
def test_after_an_htmx_vote_the_confirmation_takes_the_focus(client, crew, method, ballot):
    p = voting(author=crew[0], method=method)
    if ballot is None:
        first = option_ids(p)[0]
        ballot = {"rank_1": str(first)}
    html = signed_in(client, crew[1].user).post(f"/governance/proposals/{p.pk}/vote/", ballot,
                                                **HTMX).content.decode()
    assert re.search(r'<p class="notice success" role="status" tabindex="-1" autofocus>'
                     r"Your vote was recorded", html)
    assert html.count("autofocus") == 1


def test_a_refused_htmx_vote_focuses_the_message(client, crew):
    p = close(voting(author=crew[0]))
    html = signed_in(client, crew[1].user).post(f"/governance/proposals/{p.pk}/vote/",
                                                {"choice": "yes"}, **HTMX).content.decode()
    assert re.search(r'<p class="notice error" role="alert" tabindex="-1" autofocus>'
                     r"This vote is not open", html)
