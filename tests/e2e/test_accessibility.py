"""axe-core over every page a member, an applicant or a visitor can reach, on a desktop
(1280 px) and a phone (390 px): no `serious` or `critical` violation (issue #8).

The pages come from the URLconfs, not from a list kept by hand: every route without
parameters is visited (as a member, and as a visitor or a signed-in non-member where that is
who uses it); a route with parameters needs an entry in PARAMETERS (the objects to show) or in
SKIPPED (why it is not a page to check) – `test_every_route_is_checked_or_skipped` fails on a
new one, saying which. axe-core comes from the npm registry (`npm ci`: package.json pins it).
"""

from datetime import date
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery"  # UserFactory's
BLOCKING = ("serious", "critical")

# Route prefixes that are not member pages, and why.
SKIPPED = {
    "admin/": "staff only (Django admin)",
    "api/v1/docs/": "the third-party Swagger UI (drf-spectacular-sidecar): not our markup to fix",
    "api/": "the JSON API, not pages",
    "_allauth/": "allauth's headless JSON API for app clients, not pages",
    "healthz": "a plain-text probe for the load balancer",
    "readyz": "a plain-text probe for the load balancer",
    "accounts/^": "links from emails that carry a one-time key (confirm-email, password reset)",
    "accounts/2fa/recovery-codes/download/": "a text file download, not a page",
    "governance/proposals/<int:pk>/turnout/": "an htmx fragment of the proposal page (checked "
                                              "there, where it is polled)",
    "governance/proposals/<int:pk>/vote/": "a form's target (POST), answers with a redirect",
    "governance/proposals/<int:pk>/comments/": "a form's target (POST)",
    "governance/proposals/<int:pk>/<slug:action>/": "the proposal page's action buttons' target "
                                                    "(POST)",
    "governance/proposals/<int:pk>/ballots.csv": "a CSV download, not a page",
}
# Who else visits a route besides a member: the landing page and sign-in are a visitor's, the
# application form a signed-in person's who is not a member yet.
VISITOR = {"", "accounts/login/", "accounts/signup/", "accounts/password/reset/", "bylaws/"}
APPLICANT = {"apply/"}


def routes(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def skip_reason(route: str) -> str | None:
    for prefix, reason in SKIPPED.items():
        if route == prefix or (prefix.endswith(("/", "^")) and route.startswith(prefix)):
            return reason
    return None


# Route with parameters -> the paths to visit, from the world below.
PARAMETERS = {
    "governance/proposals/<int:pk>/": lambda w: [
        f"/governance/proposals/{p.pk}/" for p in (w["draft"], w["discussion"], w["open"],
                                                   w["ranked"], w["approval"], w["closed"])],
    "governance/proposals/<int:pk>/edit/": lambda w: [
        f"/governance/proposals/{w['draft'].pk}/edit/"],
    "governance/proposals/<int:pk>/result/": lambda w: [
        f"/governance/proposals/{p.pk}/result/" for p in (w["closed"], w["ranked_closed"])],
    "bylaws/<str:version>/": lambda w: ["/bylaws/2024-01/"],
    "certificates/<int:number>/": lambda w: [f"/certificates/{w['certificate']}/"],
}


def test_every_route_is_checked_or_skipped():
    unknown = [route for route in routes()
               if "<" in route and "^" not in route and route not in PARAMETERS
               and skip_reason(route) is None]
    assert not unknown, (
        f"new routes with parameters: add each to PARAMETERS (what to show) or SKIPPED (why "
        f"not) in {Path(__file__).name}: {unknown}")


# --- the world and the visits -------------------------------------------------------------

def make_world() -> dict:
    from governance import services as gov
    from membership.models import Bylaws
    from tests.governance.helpers import close, proposal, voting
    from tests.membership.factories import StakeholderClassFactory, UserFactory, make_member

    Bylaws.objects.create(version="2024-01", text="Article 1. Name\nLightbox.",
                          adopted_on=date(2024, 1, 20), published=True)
    Bylaws.objects.create(version="2026-03", text="Article 1. Name\nLightbox.\n\nArticle 2.",
                          adopted_on=date(2026, 3, 14), published=True)
    klass = StakeholderClassFactory(slug="photographers", name="Photographers")
    me = make_member(stakeholder_class=klass, paid=True,
                     user=UserFactory(email="member@example.org"))
    others = [make_member(stakeholder_class=klass, paid=True) for _ in range(2)]
    UserFactory(email="applicant@example.org")

    world = {
        "draft": proposal(author=me, draft=True, title="Repaint the darkroom"),
        "discussion": proposal(author=me, title="Share a car"),
        "open": voting(author=me, title="Buy a scanner"),
        "ranked": voting(title="Elect the board", method="ranked"),
        "approval": voting(title="Pick a venue", method="approval"),
        "closed": voting(title="Adopt the budget"),
        "ranked_closed": voting(title="Choose a name", method="ranked"),
    }
    gov.comment_post(proposal=world["open"], member=others[0], body="Which model?")
    for member in [me, *others]:
        gov.ballot_cast(proposal=world["closed"], member=member, choice="yes")
        gov.ballot_cast(proposal=world["ranked_closed"], member=member,
                        ranking=list(world["ranked_closed"].options.values_list("pk",
                                                                                flat=True)))
    close(world["closed"])
    close(world["ranked_closed"])
    world["certificate"] = me.certificates.first().certificate_number
    return world


def visits(world) -> list[tuple[str, str]]:
    """(who, path) of every page to check."""
    found = []
    for route in routes():
        if "^" in route or skip_reason(route):
            continue
        paths = PARAMETERS[route](world) if "<" in route else ["/" + route]
        who = ["member"] + (["visitor"] if route in VISITOR else []) + (
            ["applicant"] if route in APPLICANT else [])
        if route in APPLICANT:
            who.remove("member")  # a member applying again is sent home
        found += [(person, path) for person in who for path in paths]
    return found


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def axe_violations(page, axe_source: str) -> list[dict]:
    page.evaluate(axe_source)
    return page.evaluate("""async () => {
        const results = await axe.run(document, {resultTypes: ["violations"]});
        return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop-1280", "phone-390"])
def test_no_serious_or_critical_axe_violations(new_page, viewport):
    if not AXE.exists():
        pytest.skip(f"needs axe-core: run `npm ci` at the repository root ({AXE} is missing)")
    axe_source = AXE.read_text()
    world = make_world()
    pages = {}
    for who in ("member", "visitor", "applicant"):
        page = new_page(viewport=viewport)
        if who != "visitor":
            sign_in(page, f"{who}@example.org")
        pages[who] = page

    problems, seen = [], set()
    for who, path in visits(world):
        page = pages[who]
        if page.request.get(path, max_redirects=0).status == 405:
            continue  # a form's target (POST only), not a page
        response = page.goto(path)
        # A 403 or 404 (2FA pages of a member without 2FA) is the site's own error page, which
        # members see too: checked like the others.
        assert response is not None and response.status < 500, (who, path, response.status)
        if (who, page.url) in seen:  # a redirect to a page already checked
            continue
        seen.add((who, page.url))
        for violation in axe_violations(page, axe_source):
            if violation["impact"] in BLOCKING:
                problems.append(f"{who} {path}: {violation['impact']} {violation['id']} "
                                f"({violation['help']}) at {violation['nodes']}")
    assert len(seen) >= 20  # the enumeration found the pages (not an empty walk)
    assert not problems, "\n".join(problems)
