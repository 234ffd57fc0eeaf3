"""The governance pages in the browser (without JavaScript, and as htmx sees them): each page
for anonymous, non-member, member, elector and staff; ballots of every method; the secrecy of
choices before the close and of secret choices always; the CSV export; pinned query counts."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance import services
from governance.models import Ballot, BallotRevision, Comment, Proposal, SecretBallot
from tests.governance.factories import TEST_JOB, discussion_over
from tests.governance.helpers import close, csv_url, members, option_ids, proposal, voting
from tests.membership.factories import (
    UserFactory,
    make_member,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = "/governance/"
NEW = "/governance/proposals/new/"


# --- helpers ------------------------------------------------------------------------------


def detail(p) -> str:
    return f"/governance/proposals/{p.pk}/"


def vote_url(p) -> str:
    return f"/governance/proposals/{p.pk}/vote/"


def result_url(p) -> str:
    return f"/governance/proposals/{p.pk}/result/"


def as_user(client, user):
    client.force_login(user)
    return client


def page_text(response) -> str:
    return response.content.decode()


def stored_ballots(p) -> int:
    return Ballot.objects.filter(proposal=p).count() + SecretBallot.objects.filter(
        proposal=p
    ).count()


# --- who sees what ------------------------------------------------------------------------


def _urls(p_open, p_closed):
    return [LIST, NEW, detail(p_open), result_url(p_closed), csv_url(p_closed)]


def test_anonymous_visitors_are_sent_to_sign_in(client, crew):
    p = voting(author=crew[0])
    done = close(voting(author=crew[0], title="Closed one"))
    for url in _urls(p, done) + [f"/governance/proposals/{p.pk}/turnout/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(vote_url(p), {"choice": "yes"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert stored_ballots(p) == 0


def test_signed_in_non_members_see_members_only(client, crew):
    p = voting(author=crew[0])
    done = close(voting(author=crew[0], title="Closed one"))
    as_user(client, UserFactory())
    for url in _urls(p, done):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Members only" in page_text(response)
    assert client.post(vote_url(p), {"choice": "yes"}).status_code == 403
    assert stored_ballots(p) == 0


def test_members_electors_and_staff_see_the_pages(client, crew, staff):
    p = voting(author=crew[0])
    done = close(voting(author=crew[0], title="Closed one"))
    late = make_member(stakeholder_class=crew[0].stakeholder_class)  # admitted after opening
    unpaid = make_member(paid=False)  # awaiting payment: reads, may not propose or vote
    for user in (crew[1].user, late.user, unpaid.user, staff):
        as_user(client, user)
        for url in (LIST, detail(p), result_url(done), csv_url(done)):
            assert client.get(url).status_code == 200, (user, url)
    # Proposing is for active members (issue #7: staff who are not active members no longer
    # propose in the browser either, as the API already refused them; tests/governance/
    # test_rules.py tests it on every face).
    assert as_user(client, unpaid.user).get(NEW).status_code == 403
    assert as_user(client, late.user).get(NEW).status_code == 200
    assert as_user(client, staff).get(NEW).status_code == 403
    # Only electors get a ballot form.
    assert 'class="ballot"' in page_text(as_user(client, crew[1].user).get(detail(p)))
    html = page_text(as_user(client, late.user).get(detail(p)))
    assert 'class="ballot"' not in html and "not in the electorate" in html
    assert 'class="ballot"' not in page_text(as_user(client, staff).get(detail(p)))


def test_a_draft_is_its_authors_and_staffs_only(client, crew, staff):
    draft = proposal(author=crew[0], draft=True, title="My secret plan")
    assert as_user(client, crew[1].user).get(detail(draft)).status_code == 404
    assert "My secret plan" not in page_text(client.get(LIST))
    assert as_user(client, crew[0].user).get(detail(draft)).status_code == 200
    assert "My secret plan" in page_text(client.get(LIST))
    assert as_user(client, staff).get(detail(draft)).status_code == 200


def test_pages_respect_the_csp(client, crew):
    p = voting(author=crew[0], method="ranked")
    done = close(voting(author=crew[0], title="Closed one"))
    as_user(client, crew[1].user)
    for url in (LIST, NEW, detail(p), result_url(done)):
        html = page_text(client.get(url))
        assert " style=" not in html, url  # style-src 'self': no inline style attributes
        for script in re.findall(r"<script[^>]*>", html):
            assert "nonce=" in script, (url, script)


# --- the list -----------------------------------------------------------------------------


def test_list_filters_and_turnout_bar(client, crew):
    mine = voting(author=crew[0], title="Vote on bikes")
    proposal(author=crew[0], title="Talk about vans")
    done = close(voting(author=crew[0], title="Decided on trains"))
    late = make_member(stakeholder_class=crew[0].stakeholder_class)  # after the record date
    services.ballot_cast(proposal=mine, member=crew[1], choice="yes")
    as_user(client, crew[2].user)
    html = page_text(client.get(LIST))
    for title in ("Vote on bikes", "Talk about vans", "Decided on trains"):
        assert title in html
    assert f'<progress id="turnout-{mine.pk}" max="3" value="1">' in html
    assert "Turnout: 1 of 3 (33 %)" in html
    html = page_text(client.get(LIST, {"show": "my_vote"}))
    assert "Vote on bikes" in html and "You have not voted yet" in html
    assert "Talk about vans" not in html and "Decided on trains" not in html
    html = page_text(client.get(LIST, {"show": "discussion"}))
    assert "Talk about vans" in html and "Vote on bikes" not in html
    html = page_text(client.get(LIST, {"show": "closed"}))
    assert "Decided on trains" in html and "Vote on bikes" not in html
    assert result_url(done) in html
    # Someone admitted after the vote opened has nothing open for their vote.
    html = page_text(as_user(client, late.user).get(LIST, {"show": "my_vote"}))
    assert "Vote on bikes" not in html and "0 proposals" in html
    # The voter's ballot is cast: it is no longer open for their vote, but under "Voted".
    html = page_text(as_user(client, crew[1].user).get(LIST, {"show": "my_vote"}))
    assert "Vote on bikes" not in html and "0 proposals" in html
    html = page_text(client.get(LIST, {"show": "my_voted"}))
    assert "Vote on bikes" in html and "You voted" in html


def test_a_vote_i_cast_moves_from_open_for_my_vote_to_voted(client, crew,
                                                            django_assert_num_queries):
    """Issue #8, item 20: "Open for my vote" lists what still waits for my ballot; "Voted"
    (and the "You voted" mark) what I voted on, open or closed."""
    bikes = voting(author=crew[0], title="Vote on bikes")
    vans = voting(author=crew[0], title="Vote on vans")
    trains = voting(author=crew[0], title="Vote on trains")
    services.ballot_cast(proposal=trains, member=crew[1], choice="no")
    close(trains)
    as_user(client, crew[1].user)

    html = page_text(client.get(LIST, {"show": "my_vote"}))
    assert "Vote on bikes" in html and "Vote on vans" in html and "2 proposals" in html
    assert "Vote on trains" not in html
    assert '<option value="my_voted">Voted</option>' in html

    services.ballot_cast(proposal=bikes, member=crew[1], choice="yes")
    html = page_text(client.get(LIST, {"show": "my_vote"}))
    assert "Vote on bikes" not in html and "Vote on vans" in html and "1 proposal." in html

    with django_assert_num_queries(LIST_QUERIES):
        html = page_text(client.get(LIST, {"show": "my_voted"}))
    assert "2 proposals" in html and "Vote on vans" not in html
    # The open vote first (its ballot may still change), then the closed one; each marked.
    assert html.index("Vote on bikes") < html.index("Vote on trains")
    assert html.count("You voted") == 2
    # Under "All proposals" the mark tells them apart too.
    html = page_text(client.get(LIST))
    assert html.count("You voted") == 2 and html.count("You have not voted yet") == 1
    assert vans.status == "voting"


def test_list_is_paginated_and_htmx_gets_the_results_only(client, crew):
    for n in range(23):
        proposal(author=crew[0], title=f"Idea number {n:02d}")
    as_user(client, crew[1].user)
    html = page_text(client.get(LIST))
    assert "Page 1 of 2" in html and html.count('class="card proposal-item"') == 20
    html = page_text(client.get(LIST, {"page": 2}))
    assert html.count('class="card proposal-item"') == 3
    response = client.get(LIST, {"show": "discussion", "page": 2}, **HTMX)
    html = page_text(response)
    assert html.lstrip().startswith('<div id="proposal-results"') and "<html" not in html
    assert "show=discussion&amp;page=1" in html
    assert "HX-Request" in response["Vary"]


def _list_queries(client, n_proposals: int, crew) -> int:
    Proposal.objects.all().delete()
    for n in range(n_proposals):
        p = proposal(author=crew[0], title=f"Idea {n}")
        if n % 2:
            services.proposal_open(actor=TEST_JOB, proposal=p)
            services.ballot_cast(proposal=p, member=crew[1], choice="yes")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


# user with member (the session comes from the cache), unread notifications (nav), count, page
# of proposals (with turnout and "my vote" subqueries)
LIST_QUERIES = 4


def test_list_query_count_does_not_grow(client, crew, django_assert_num_queries):
    as_user(client, crew[1].user)
    assert _list_queries(client, 2, crew) == _list_queries(client, 12, crew)
    with django_assert_num_queries(LIST_QUERIES):
        client.get(LIST, {"show": "voting"})


# --- the detail page ----------------------------------------------------------------------


# user with member (the session comes from the cache), unread notifications (nav), proposal,
# options, my elector, my ballot, turnout per class, comments
DETAIL_QUERIES = 8


def test_detail_query_count_does_not_grow_with_the_electorate(client, django_assert_num_queries):
    small = members(2, "small")
    big = members(12, "big")
    as_user(client, small[0].user)
    p = voting(author=small[0])
    for m in (small[1], big[0], big[1]):
        services.ballot_cast(proposal=p, member=m, choice="no")
    services.ballot_cast(proposal=p, member=small[0], choice="yes")
    services.comment_post(proposal=p, member=small[1], body="Good idea.")
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(detail(p))
    q = voting(author=small[0], title="Again")
    for m in big[:5]:
        services.ballot_cast(proposal=q, member=m, choice="no")
    services.ballot_cast(proposal=q, member=small[0], choice="yes")
    for n in range(4):
        services.comment_post(proposal=q, member=big[n], body=f"Comment {n}.")
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(detail(q))


def test_detail_shows_text_rules_and_live_turnout(client, crew):
    p = voting(author=crew[0], quorum_percent=50, class_quorum_percent=20)
    services.ballot_cast(proposal=p, member=crew[1], choice="yes")
    html = page_text(as_user(client, crew[2].user).get(detail(p)))
    assert "For deliveries in town." in html
    assert "50 % of the electorate, and 20 % inside every class" in html
    assert p.tie_seed_hash in html and p.tie_seed not in html
    assert "1 of 3 members voted (33 %)" in html
    assert "Quorum 50 % = 2 ballots" in html and "not met yet" in html
    assert 'hx-trigger="every 10s"' in html
    # The polled partial: counts only.
    response = client.get(f"/governance/proposals/{p.pk}/turnout/", **HTMX)
    partial = page_text(response)
    assert partial.lstrip().startswith('<div id="turnout"') and "<html" not in partial
    assert "1 of 3 members voted" in partial
    services.ballot_cast(proposal=p, member=crew[2], choice="no")
    partial = page_text(client.get(f"/governance/proposals/{p.pk}/turnout/", **HTMX))
    assert "2 of 3 members voted (66 %)" in partial and "<strong>met</strong>" in partial
    # Without htmx the URL leads back to the page.
    assert client.get(f"/governance/proposals/{p.pk}/turnout/").status_code == 302
    # After the close the polling stops and the result is linked.
    close(p)
    partial = page_text(client.get(f"/governance/proposals/{p.pk}/turnout/", **HTMX))
    assert "hx-trigger" not in partial and result_url(p) in partial


# --- ballots ------------------------------------------------------------------------------


def test_yes_no_ballot_cast_and_changed(client, crew):
    p = voting(author=crew[0])
    as_user(client, crew[1].user)
    response = client.post(vote_url(p), {"choice": "yes"}, follow=True)
    html = page_text(response)
    assert "Your vote was recorded" in html and "You voted" in html
    receipt = services.receipt_for(p.pk, crew[1].pk)
    assert receipt in html
    assert Ballot.objects.get(proposal=p, member=crew[1]).choice == "yes"
    assert "Change my vote" in html
    # The form shows the voter their own current choice (open vote), ready to change it.
    assert re.search(r'value="yes"[^>]*checked', html)
    html = page_text(client.post(vote_url(p), {"choice": "no"}, follow=True))
    assert "Your vote was changed" in html
    ballot = Ballot.objects.get(proposal=p, member=crew[1])
    assert (ballot.choice, ballot.revision) == ("no", 2)
    assert BallotRevision.objects.filter(proposal=p, member=crew[1]).count() == 2


def test_consent_ballot_and_a_block_needs_a_reason(client, crew):
    p = voting(author=crew[0], method="consent")
    as_user(client, crew[1].user)
    response = client.post(vote_url(p), {"choice": "block", "reason": "  "})
    assert response.status_code == 400
    assert "A block needs a reason" in page_text(response)
    assert stored_ballots(p) == 0
    client.post(vote_url(p), {"choice": "block", "reason": "It is unsafe."})
    ballot = Ballot.objects.get(proposal=p, member=crew[1])
    assert (ballot.choice, ballot.reason) == ("block", "It is unsafe.")
    client.post(vote_url(p), {"choice": "agree", "reason": "ignored"})
    ballot.refresh_from_db()
    assert (ballot.choice, ballot.reason) == ("agree", "")


def test_approval_ballot(client, crew):
    p = voting(author=crew[0], method="approval")
    alice, bob, chandra = option_ids(p)
    as_user(client, crew[1].user)
    assert client.post(vote_url(p), {"approvals": [alice, chandra]}).status_code == 302
    assert Ballot.objects.get(proposal=p, member=crew[1]).approvals == [alice, chandra]
    client.post(vote_url(p), {})  # approving none is an abstention
    assert Ballot.objects.get(proposal=p, member=crew[1]).approvals == []


def test_ranked_ballot_from_the_selects(client, crew):
    p = voting(author=crew[0], method="ranked")
    alice, bob, chandra = option_ids(p)
    as_user(client, crew[1].user)
    html = page_text(client.get(detail(p)))
    assert "1st choice" in html and "2nd choice" in html and "3rd choice" in html
    assert "ranking.js" in html
    response = client.post(vote_url(p), {"rank_1": chandra, "rank_2": alice, "rank_3": ""})
    assert response.status_code == 302
    assert Ballot.objects.get(proposal=p, member=crew[1]).ranking == [chandra, alice]
    # Gaps close up: a 3rd choice without a 2nd is a 2nd choice.
    client.post(vote_url(p), {"rank_1": bob, "rank_2": "", "rank_3": alice})
    assert Ballot.objects.get(proposal=p, member=crew[1]).ranking == [bob, alice]


@pytest.mark.parametrize(
    ("method", "data", "message"),
    [
        ("yes_no", {"choice": "maybe"}, "Select a valid choice"),
        ("yes_no", {}, "This field is required"),
        ("consent", {"choice": "veto"}, "Select a valid choice"),
        ("approval", {"approvals": ["999999"]}, "Select a valid choice"),
        ("ranked", {"rank_1": "999999"}, "Select a valid choice"),
        ("ranked", {"rank_1": "FIRST", "rank_2": "FIRST"}, "more than once"),
    ],
)
def test_bad_ballots_show_a_message_and_store_nothing(client, crew, method, data, message):
    p = voting(author=crew[0], method=method)
    first = str(option_ids(p)[0]) if p.uses_options else ""
    data = {k: ([first if x == "FIRST" else x for x in v] if isinstance(v, list) else
                (first if v == "FIRST" else v)) for k, v in data.items()}
    as_user(client, crew[1].user)
    response = client.post(vote_url(p), data)
    assert response.status_code == 400
    html = page_text(response)
    assert message in html
    assert 'class="ballot"' in html  # the form again, to correct
    assert stored_ballots(p) == 0
    # The same with htmx: the ballot partial comes back (as a 200, which htmx swaps).
    response = client.post(vote_url(p), data, **HTMX)
    assert response.status_code == 200
    assert page_text(response).lstrip().startswith('<section id="vote"')
    assert message in page_text(response)
    assert stored_ballots(p) == 0


def test_an_option_of_another_proposal_is_refused(client, crew):
    p = voting(author=crew[0], method="approval")
    other = voting(author=crew[0], method="approval", title="Other")
    as_user(client, crew[1].user)
    response = client.post(vote_url(p), {"approvals": [option_ids(other)[0]]})
    assert response.status_code == 400 and stored_ballots(p) == 0


def test_voting_after_the_close_is_refused_with_a_message(client, crew):
    p = voting(author=crew[0])
    close(p)
    as_user(client, crew[1].user)
    html = page_text(client.post(vote_url(p), {"choice": "yes"}, follow=True))
    assert "This vote is not open." in html
    assert stored_ballots(p) == 0
    response = client.post(vote_url(p), {"choice": "yes"}, **HTMX)
    assert "This vote is not open." in page_text(response)
    assert stored_ballots(p) == 0


def test_voting_past_the_deadline_before_the_job_ran_is_refused(client, crew):
    p = voting(author=crew[0])
    Proposal.objects.filter(pk=p.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    as_user(client, crew[1].user)
    html = page_text(client.post(vote_url(p), {"choice": "yes"}, follow=True))
    assert "This vote is not open." in html and stored_ballots(p) == 0


def test_members_outside_the_electorate_cannot_vote(client, crew, staff):
    p = voting(author=crew[0])
    late = make_member(stakeholder_class=crew[0].stakeholder_class)
    html = page_text(as_user(client, late.user).post(vote_url(p), {"choice": "yes"}, follow=True))
    assert "not in the electorate" in html
    as_user(client, staff).post(vote_url(p), {"choice": "yes"})
    assert stored_ballots(p) == 0


def test_htmx_vote_swaps_the_ballot_section_with_the_new_turnout(client, crew):
    p = voting(author=crew[0])
    as_user(client, crew[1].user)
    response = client.post(vote_url(p), {"choice": "yes"}, **HTMX)
    html = page_text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="vote"') and "<html" not in html
    assert "Your vote was recorded" in html and "1 of 3 members voted" in html
    html = page_text(client.post(vote_url(p), {"choice": "abstain"}, **HTMX))
    assert "Your vote was changed" in html and "1 of 3 members voted" in html


# --- secrecy ------------------------------------------------------------------------------


def test_choices_never_appear_before_the_close(client, crew, staff):
    p = voting(author=crew[0], method="consent")
    services.ballot_cast(proposal=p, member=crew[1], choice="block", reason="ZEBRA-REASON")
    services.ballot_cast(proposal=p, member=crew[2], choice="agree")
    for user in (crew[0].user, staff):
        as_user(client, user)
        for url in (LIST, detail(p), f"/governance/proposals/{p.pk}/turnout/"):
            html = page_text(client.get(url, **(HTMX if "turnout" in url else {})))
            assert "ZEBRA-REASON" not in html, url
            assert "checked" not in html, url  # nobody's choice preselected but their own
            assert '<svg class="chart"' not in html and "Totals" not in html, url
        assert client.get(result_url(p)).status_code == 404
        assert client.get(csv_url(p)).status_code == 404


def test_secret_choices_never_appear_next_to_a_voter(client, crew, staff):
    p = voting(author=crew[0], secret=True)
    as_user(client, crew[1].user)
    client.post(vote_url(p), {"choice": "no"})
    html = page_text(client.get(detail(p)))
    # The voter sees their receipt, the explanation and its limits, never their choice.
    assert services.receipt_for(p.pk, crew[1].pk) in html
    assert "A secret ballot" in html and "deployment's key" in html
    assert "checked" not in html
    services.ballot_cast(proposal=p, member=crew[2], choice="yes")
    close(p)
    for user in (crew[1].user, staff):
        as_user(client, user)
        html = page_text(client.get(result_url(p)))
        # 2 voters in the class: its totals are hidden (fewer than 5).
        assert "hidden: fewer than 5 voters" in html
        assert services.receipt_for(p.pk, crew[2].pk) not in html  # nobody else's receipt
        export = page_text(client.get(csv_url(p)))
        for m in crew:
            assert m.name not in export and m.email not in export
            assert m.user.email not in export
        rows = list(csv.DictReader(io.StringIO(export)))
        assert list(rows[0]) == ["row", "receipt", "class", "choice", "approvals", "ranking"]
        assert sorted(r["choice"] for r in rows) == ["no", "yes"]
        assert services.receipt_for(p.pk, crew[1].pk) in {r["receipt"] for r in rows}
    # The voter's result page shows their receipt but not which row is theirs.
    html = page_text(as_user(client, crew[1].user).get(result_url(p)))
    receipt = services.receipt_for(p.pk, crew[1].pk)
    assert receipt in html
    assert not re.search(re.escape(receipt) + r".{0,200}\b(no|yes)\b", html, re.S)


def test_open_vote_export_is_anonymous_too(client, crew):
    p = voting(author=crew[0], method="ranked")
    alice, bob, chandra = option_ids(p)
    services.ballot_cast(proposal=p, member=crew[1], ranking=[bob, alice])
    services.ballot_cast(proposal=p, member=crew[2], ranking=[chandra])
    as_user(client, crew[1].user)
    assert client.get(csv_url(p)).status_code == 404  # only after the close
    close(p)
    response = client.get(csv_url(p))
    assert response["Content-Type"].startswith("text/csv")
    export = page_text(response)
    rows = list(csv.DictReader(io.StringIO(export)))
    assert sorted(r["ranking"] for r in rows) == ["Bob > Alice", "Chandra"]
    assert {r["class"] for r in rows} == {"workers"}
    for m in crew:
        assert m.name not in export and str(m.member_number) not in {r["row"] for r in rows} - {
            "1", "2"}


def test_csv_cells_cannot_become_formulas(client, crew):
    p = voting(author=crew[0], method="approval", options=["=HYPERLINK(1)", "Plain"])
    services.ballot_cast(proposal=p, member=crew[1], approvals=option_ids(p))
    close(p)
    export = page_text(as_user(client, crew[1].user).get(csv_url(p)))
    assert "'=HYPERLINK(1); Plain" in export


# --- results ------------------------------------------------------------------------------


def test_result_page_yes_no_class_weighted(client):
    workers = members(2, "workers", weight=3)
    users = members(3, "users", weight=1)
    p = voting(author=workers[0], tally_mode="class_weighted")
    for m in workers:
        services.ballot_cast(proposal=p, member=m, choice="yes")
    for m in users:
        services.ballot_cast(proposal=p, member=m, choice="no")
    close(p)
    html = page_text(as_user(client, users[0].user).get(result_url(p)))
    assert "Passed" in html
    assert "5 of 5 (100.0 %)" in html
    # Percentages to one decimal; the exact fractions behind a toggle.
    assert "<dt>Weighted yes</dt><dd>75.0 %</dd>" in html
    assert re.search(r'<details class="exact">\s*<summary>Exact fractions</summary>', html)
    assert "<dt>Turnout</dt><dd>1/1</dd>" in html and "<dd>3/4</dd>" in html
    assert '<svg class="chart"' in html and 'class="bar"' in html
    assert p.result["tie_seed"] in html and p.tie_seed_hash in html
    # By class, named as the class is named, each total an item of its own.
    assert "<li>Yes 2</li><li>No 0</li><li>Abstain 0</li>" in html
    assert "<li>Yes 0</li><li>No 3</li><li>Abstain 0</li>" in html
    assert '<th scope="row">Workers</th>' in html and "yes share 100.0 %" in html


def test_result_percentages_are_cut_to_one_decimal_with_exact_fractions(client):
    voters = members(7)
    p = voting(author=voters[0])
    for m, choice in zip(voters[:6], ["yes", "yes", "yes", "yes", "no", "abstain"],
                         strict=True):
        services.ballot_cast(proposal=p, member=m, choice=choice)
    close(p)
    html = page_text(as_user(client, voters[0].user).get(result_url(p)))
    # 6 of 7 = 85.714…: cut to 85.7; 4 of 6 = 66.666…: cut to 66.6, never rounded up to 66.7.
    assert "6 of 7 (85.7 %)" in html and "<dt>Turnout</dt><dd>6/7</dd>" in html
    totals = re.search(r'<table class="totals">.*?</table>', html, re.S).group()
    assert re.findall(r'<th scope="row">(\w+)</th><td class="num">(\d+)</td>'
                      r'<td class="num">([\d.]+) %</td>', totals) == [
        ("Yes", "4", "66.6"), ("No", "1", "16.6"), ("Abstain", "1", "16.6")]
    assert "<dt>Yes</dt><dd>2/3 of the ballots</dd>" in html
    assert "<dt>No</dt><dd>1/6 of the ballots</dd>" in html
    assert "yes share 80.0 %" in html and "voted 6/7; yes share 4/5" in html


def test_result_page_ranked_rounds_and_winner(client):
    voters = members(5)
    p = voting(author=voters[0], method="ranked")
    alice, bob, chandra = option_ids(p)
    for m, ranking in zip(voters, [[alice, bob], [alice], [bob], [chandra, bob], [chandra, bob]]):
        services.ballot_cast(proposal=p, member=m, ranking=ranking)
    close(p)
    html = page_text(as_user(client, voters[0].user).get(result_url(p)))
    assert "The count, round by round" in html
    assert "First preferences" in html and "excluded" in html
    assert re.search(r'<ol class="winners"><li>\w+</li></ol>', html)
    assert len(p.result["rounds"]) >= 2


def test_result_page_approval_winners(client, crew):
    p = voting(author=crew[0], method="approval")
    alice, bob, chandra = option_ids(p)
    for m in crew:
        services.ballot_cast(proposal=p, member=m, approvals=[bob])
    close(p)
    html = page_text(as_user(client, crew[0].user).get(result_url(p)))
    assert '<ol class="winners"><li>Bob</li></ol>' in html and "Approvals" in html


# --- proposals: the form and the lifecycle -------------------------------------------------


def proposal_data(**overrides):
    closes = timezone.localtime() + timedelta(days=6)  # general: 48 h discussion + 72 h voting
    data = {
        "title": "Open a shop", "body": "A small shop in town.", "category": "",
        "method": "yes_no", "tally_mode": "member", "threshold": "", "quorum_percent": "",
        "class_quorum_percent": "", "options": "", "seats": "",
        "closes_at": closes.strftime("%Y-%m-%dT%H:%M"), "save": "discussion",
    }
    data.update(overrides)
    return data


def test_a_member_makes_a_proposal_and_a_draft(client, crew):
    from governance.models import Category

    general = Category.objects.get(slug="general")
    as_user(client, crew[0].user)
    response = client.post(NEW, proposal_data(category=general.pk))
    p = Proposal.objects.get(title="Open a shop")
    assert response.status_code == 302 and response["Location"] == detail(p)
    assert (p.status, p.author, p.quorum_percent) == ("discussion", crew[0], 10)
    client.post(NEW, proposal_data(category=general.pk, title="Later", save="draft",
                                   method="ranked", options="A\nB\n\nC", seats="2"))
    draft = Proposal.objects.get(title="Later")
    assert draft.status == "draft" and draft.seats == 2
    assert list(draft.options.values_list("label", flat=True)) == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"quorum_percent": "20"}, "quorum of at least 30"),
        ({"threshold": "3/2"}, "threshold"),
        ({"threshold": "majority"}, "needs at least 2/3"),
        ({"method": "ranked", "options": "Only one"}, "at least two options"),
        ({"method": "approval", "options": "A\nB", "seats": "2"}, "Seats must be from 1 to 1"),
    ],
)
def test_service_errors_show_on_the_form_and_store_nothing(client, crew, overrides, message):
    from governance.models import Category

    bylaws = Category.objects.get(slug="bylaws")
    closes = timezone.localtime() + timedelta(days=7 + 14 + 1)  # discussion + voting floors
    data = proposal_data(category=bylaws.pk, closes_at=closes.strftime("%Y-%m-%dT%H:%M"),
                         **overrides)
    response = as_user(client, crew[0].user).post(NEW, data)
    assert response.status_code == 400
    assert message in page_text(response)
    assert not Proposal.objects.exists()


def test_a_voting_period_too_short_is_refused_on_the_form(client, crew):
    from governance.models import Category

    general = Category.objects.get(slug="general")
    closes = timezone.localtime() + timedelta(hours=5)
    response = as_user(client, crew[0].user).post(
        NEW, proposal_data(category=general.pk, closes_at=closes.strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 400 and "at least 72 hours" in page_text(response)
    assert not Proposal.objects.exists()


def _act(client, p, action, **data):
    return client.post(f"/governance/proposals/{p.pk}/{action}/", data, follow=True)


def test_author_submits_opens_and_others_cannot(client, crew):
    p = proposal(author=crew[0], draft=True)
    assert as_user(client, crew[1].user).post(
        f"/governance/proposals/{p.pk}/submit/").status_code == 404
    as_user(client, crew[0].user)
    assert "open for discussion" in page_text(_act(client, p, "submit"))
    p.refresh_from_db()
    assert p.status == "discussion"
    assert as_user(client, crew[1].user).post(
        f"/governance/proposals/{p.pk}/open/").status_code == 404
    # The discussion has just begun: the author may not open the vote yet (RULES §2).
    html = page_text(_act(as_user(client, crew[0].user), p, "open"))
    assert "The discussion period (48 hours for the general category) runs until" in html
    assert "Only staff or a partner key with governance:write may open it earlier." in html
    p.refresh_from_db()
    assert p.status == "discussion"
    discussion_over(p)
    html = page_text(_act(as_user(client, crew[0].user), p, "open"))
    assert "Voting is open: 3 members may vote." in html
    p.refresh_from_db()
    assert p.status == "voting"
    # Withdrawing is over once voting opened: a message, nothing changed.
    assert "only be withdrawn before voting" in page_text(_act(client, p, "withdraw"))
    # Members may not close; staff actions are not the author's.
    assert client.post(f"/governance/proposals/{p.pk}/close/").status_code == 404


def test_author_withdraws(client, crew):
    p = proposal(author=crew[0])
    _act(as_user(client, crew[0].user), p, "withdraw")
    p.refresh_from_db()
    assert p.status == "withdrawn"


def test_staff_close_early_only_where_allowed_and_cancel_with_a_reason(client, crew, staff):
    as_user(client, staff)
    strict = voting(author=crew[0])
    html = page_text(_act(client, strict, "close"))
    assert "does not allow closing before its deadline" in html
    assert "Close the vote now" not in html
    html = page_text(_act(client, strict, "cancel", reason=""))
    assert "Say why the vote is cancelled." in html
    strict.refresh_from_db()
    assert strict.status == "voting"
    html = page_text(_act(client, strict, "cancel", reason="The text was wrong."))
    assert "Staff cancelled this vote: The text was wrong." in html
    loose = voting(author=crew[0], early_close_allowed=True, title="Loose")
    services.ballot_cast(proposal=loose, member=crew[1], choice="yes")
    assert "Close the vote now" in page_text(client.get(detail(loose)))
    html = page_text(_act(client, loose, "close"))
    assert "The vote was closed: Passed." in html
    loose.refresh_from_db()
    assert loose.status == "closed" and loose.implementation_status == "planned"


def test_staff_outcome_statement_and_implementation(client, crew, staff):
    p = voting(author=crew[0])
    for m in crew:
        services.ballot_cast(proposal=p, member=m, choice="yes")
    close(p)
    as_user(client, staff)
    _act(client, p, "statement", statement="We buy the bike in May.")
    html = page_text(_act(client, p, "implementation", status="in_progress", on="2026-05-02",
                          note="Ordered."))
    assert "We buy the bike in May." in html and "Ordered." in html and "In progress" in html
    html = page_text(_act(client, p, "implementation", status="done", on="2026-05-20"))
    p.refresh_from_db()
    assert p.implementation_status == "done"
    assert str(p.implementation_started_on) == "2026-05-02"
    assert str(p.implementation_done_on) == "2026-05-20"
    assert "Implementation update" not in html  # nothing left to update
    # A bad date is a message, not a change.
    q = close(voting(author=crew[0], title="Second"))
    html = page_text(_act(client, q, "implementation", status="done", on="soon"))
    assert "Only a passed proposal" in html or "Choose a status and a date" in html


# --- discussion ---------------------------------------------------------------------------


def test_comments_without_javascript_and_threaded_replies(client, crew):
    p = proposal(author=crew[0])
    as_user(client, crew[1].user)
    response = client.post(f"/governance/proposals/{p.pk}/comments/", {"body": "Which bike?"})
    assert response.status_code == 302 and response["Location"].endswith("#discussion")
    parent = Comment.objects.get(proposal=p)
    as_user(client, crew[2].user)
    client.post(f"/governance/proposals/{p.pk}/comments/",
                {"body": "The blue one.", "parent": parent.pk})
    html = page_text(client.get(detail(p)))
    assert re.search(r"Which bike\?.*<ol class=\"comments replies\">.*The blue one\.", html, re.S)
    # Empty comment: a message, nothing stored.
    response = client.post(f"/governance/proposals/{p.pk}/comments/", {"body": " "})
    assert response.status_code == 400 and Comment.objects.filter(proposal=p).count() == 2


def test_comment_with_htmx_returns_the_thread(client, crew):
    p = proposal(author=crew[0])
    as_user(client, crew[1].user)
    response = client.post(f"/governance/proposals/{p.pk}/comments/", {"body": "Yes!"}, **HTMX)
    html = page_text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="thread"') and "<html" not in html
    assert "Yes!" in html and "Your comment was posted." in html
    response = client.post(f"/governance/proposals/{p.pk}/comments/", {"body": ""}, **HTMX)
    assert response.status_code == 200 and "This field is required" in page_text(response)
    assert Comment.objects.filter(proposal=p).count() == 1


def test_no_comments_on_drafts(client, crew):
    p = proposal(author=crew[0], draft=True)
    html = page_text(as_user(client, crew[0].user).post(
        f"/governance/proposals/{p.pk}/comments/", {"body": "Note to self"}))
    assert "not open for discussion" in html
    assert not Comment.objects.exists()
