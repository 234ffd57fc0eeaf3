"""Issue #8 item 1: one privacy rule (rules.hidden_classes, RULES §5 "Privacy by subtraction")
on every face of a closed secret vote: the recount CSV, the result page, the API's result and
the published receipts. Each face is checked with the same three electorates:
- 1 + 1 voters: both classes hidden (the CSV used to give each ballot's class beside its choice);
- 5 + 5 + 1: the class of 1 hidden and the next smallest with it (ties by slug: `clients`), so
  that the 1 cannot be worked out as the total minus the classes shown;
- 5 + 5: every class shown."""

import csv
import io
import re

import pytest

from governance import services
from tests.governance.helpers import BASE, client_for, close, csv_url, members, voting

pytestmark = pytest.mark.django_db

# (voters per class, each class's choice, the classes that must be hidden)
CASES = {
    "one_and_one": ({"clients": 1, "photographers": 1}, {"clients", "photographers"}),
    "five_five_one": ({"clients": 5, "photographers": 5, "workers": 1}, {"clients", "workers"}),
    "all_five_or_more": ({"clients": 5, "photographers": 5}, set()),
}
# Each class votes as one, differently from the next, so a shown figure would name its choice.
CHOICE = {"clients": "yes", "photographers": "no", "workers": "abstain"}


@pytest.fixture(params=list(CASES))
def closed_secret_vote(request):
    sizes, hidden = CASES[request.param]
    people = {slug: members(n, slug) for slug, n in sizes.items()}
    p = voting(secret=True)
    for slug, group in people.items():
        for member in group:
            services.ballot_cast(proposal=p, member=member, choice=CHOICE[slug])
    p = close(p)
    reader = next(iter(people.values()))[0]
    return p, reader, sizes, hidden


def test_csv_gives_no_class_beside_a_choice_where_it_is_hidden(client, closed_secret_vote):
    p, reader, sizes, hidden = closed_secret_vote
    client.force_login(reader.user)
    rows = list(csv.DictReader(io.StringIO(client.get(csv_url(p)).content.decode())))
    assert len(rows) == sum(sizes.values())
    classes = {r["class"] for r in rows}
    assert not classes & hidden
    assert classes - {""} == set(sizes) - hidden
    # A shown class's rows still carry it (the recount by class works where it may).
    for slug in set(sizes) - hidden:
        assert {r["choice"] for r in rows if r["class"] == slug} == {CHOICE[slug]}


def test_result_page_hides_the_same_classes(client, closed_secret_vote):
    p, reader, sizes, hidden = closed_secret_vote
    client.force_login(reader.user)
    html = client.get(f"/governance/proposals/{p.pk}/result/").content.decode()
    for slug, n in sizes.items():
        # The page names each class as it is named (tests.governance.helpers: slug.title()).
        row = re.search(rf'<th scope="row">{slug.title()}</th>(.*?)</tr>', html, re.S).group(1)
        if slug in hidden:
            assert "hidden" in row and CHOICE[slug] not in row.lower(), slug
            reason = "fewer than 5 voters" if n < 5 else "worked out from the total"
            assert reason in row, slug
        else:
            assert "hidden" not in row and f"{n}" in row, slug


def test_api_result_hides_the_same_classes(closed_secret_vote):
    p, reader, sizes, hidden = closed_secret_vote
    result = client_for(reader.user).get(f"{BASE}/proposals/{p.pk}/result/").json()
    assert sum(result["totals"].values()) == sum(sizes.values())  # the total is always shown
    for slug, n in sizes.items():
        entry = result["by_class"][slug]
        assert entry["cast"] == n  # who voted is no secret; what they chose is
        if slug in hidden:
            assert entry["totals"] is None and entry["share"] is None, slug
        else:
            assert entry["totals"][CHOICE[slug]] == n, slug


def test_api_receipts_carry_no_class(closed_secret_vote):
    p, reader, sizes, _ = closed_secret_vote
    response = client_for(reader.user).get(f"{BASE}/proposals/{p.pk}/receipts/?page_size=100")
    published = response.json()["results"]
    assert len(published) == sum(sizes.values())
    for entry in published:
        assert set(entry) == {"receipt", "choice", "approvals", "ranking", "reason"}
        assert not set(map(str, entry.values())) & set(sizes)
    assert services.receipt_for(p.pk, reader.pk) in {e["receipt"] for e in published}
