"""Issue #8 item 13: the bylaws are entered and versioned by staff in the admin, published at
/bylaws/ and /bylaws/<version>/, linked by the apply form at the exact version it shows, and
that version is what the application records (checked: it must be the current one)."""

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from coop.errors import NotAllowed
from coop.models import AuditRecord, Cooperative
from membership import bylaws
from membership.models import Application, Bylaws

from .factories import REGISTRAR, StaffFactory, StakeholderClassFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXT = ("Article 1. Name\nThe cooperative is called <Lightbox>.\n\n"
        "Article 2. Purpose\nIt sells its members' photographs.")


@pytest.fixture
def photographers():
    return StakeholderClassFactory()


@pytest.fixture
def old():
    return Bylaws.objects.create(version="2024-01", text="Old article 1.",
                                 adopted_on=date(2024, 1, 20), published=True)


@pytest.fixture
def current(old):
    return Bylaws.objects.create(version="2026-03", text=TEXT, adopted_on=date(2026, 3, 14),
                                 published=True)


def apply_data(stakeholder_class, version):
    return {"stakeholder_class": stakeholder_class.pk, "shares": "3", "name": "Ada Lovelace",
            "motivation": "", "organisation_name": "", "registration_number": "",
            "referrer_number": "", "accept_bylaws": "on", "bylaws_version": version}


# --- the public pages ---------------------------------------------------------------------

def test_the_current_bylaws_are_public_as_escaped_paragraphs(client, current):
    response = client.get("/bylaws/")  # no sign-in
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bylaws <span class=\"muted\">version 2026-03</span>" in html
    assert "Adopted on 14 March 2026." in html
    assert "These are the bylaws in force" in html
    # A blank line starts a paragraph, a newline breaks the line; markup is shown as typed.
    assert ("<p>Article 1. Name<br>The cooperative is called &lt;Lightbox&gt;.</p>\n\n"
            "<p>Article 2. Purpose<br>It sells its members&#x27; photographs.</p>") in html
    # Every version is listed, the one in force first.
    assert html.index("Version 2026-03") < html.index('href="/bylaws/2024-01/"')


def test_an_earlier_version_stays_readable_and_says_it_was_replaced(client, current):
    html = client.get("/bylaws/2024-01/").content.decode()
    assert "Old article 1." in html
    assert "A newer version has since been adopted" in html
    assert 'href="/bylaws/"' in html


def test_an_unpublished_or_unknown_version_is_not_found(client, current):
    Bylaws.objects.create(version="2027-01", text="Draft.", adopted_on=date(2027, 1, 1))
    assert client.get("/bylaws/2027-01/").status_code == 404
    assert client.get("/bylaws/nope/").status_code == 404
    # The draft, adopted later, does not become current while it is unpublished.
    assert "version 2026-03" in client.get("/bylaws/").content.decode()


def test_with_nothing_published_the_page_says_so_and_links_the_external_bylaws(client):
    Cooperative.objects.filter(pk=Cooperative.current().pk).update(
        bylaws_url="https://example.org/bylaws.pdf")
    html = client.get("/bylaws/").content.decode()
    assert "not published on this site yet" in html
    assert 'href="https://example.org/bylaws.pdf"' in html


def test_every_page_links_the_bylaws_in_its_footer(client):
    assert 'href="/bylaws/">Bylaws</a>' in client.get("/").content.decode()


# --- the apply form -----------------------------------------------------------------------

def test_the_apply_form_links_and_sends_the_exact_version_it_shows(client, current):
    client.force_login(UserFactory())
    html = client.get(reverse("apply")).content.decode()
    assert 'href="/bylaws/2026-03/"' in html
    assert "Bylaws version 2026-03, adopted on 14 March 2026" in html
    assert '<input type="hidden" name="bylaws_version" value="2026-03">' in html


def test_applying_records_the_version_the_form_showed(client, photographers, current):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("apply"), apply_data(photographers, "2026-03"))
    assert response.status_code == 302
    assert Application.objects.get(user=user).bylaws_version == "2026-03"
    audit = AuditRecord.objects.get(action="application.submitted")
    assert audit.facts["bylaws_version"] == "2026-03"


@pytest.mark.parametrize(("version", "message"), [
    ("2024-01", "The bylaws have changed since this page was opened: version 2026-03 now "
                "applies. Please read it and accept it."),
    ("1999-09", "Unknown bylaws version &#x27;1999-09&#x27;: the current version is 2026-03."),
    ("", "The bylaws version is missing: reload the page and accept the bylaws."),
])
def test_a_replaced_unknown_or_missing_version_is_refused_at_the_checkbox(
        client, photographers, current, version, message):
    client.force_login(UserFactory())
    response = client.post(reverse("apply"), apply_data(photographers, version))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert not Application.objects.exists()
    # Shown again, the form carries the version in force, so accepting now succeeds.
    assert '<input type="hidden" name="bylaws_version" value="2026-03">' in html


def test_without_published_bylaws_the_cooperative_version_still_applies(client, photographers):
    user = UserFactory()
    client.force_login(user)
    html = client.get(reverse("apply")).content.decode()
    assert '<input type="hidden" name="bylaws_version" value="2026-01">' in html
    client.post(reverse("apply"), apply_data(photographers, "2026-01"))
    assert Application.objects.get(user=user).bylaws_version == "2026-01"


def test_the_api_records_the_published_version_in_force(photographers, current):
    user = UserFactory()
    api = APIClient()
    api.force_login(user)
    response = api.post("/api/v1/applications/", {"stakeholder_class": "photographers",
                                                   "shares": 3, "motivation": ""},
                        format="json")
    assert response.status_code == 201
    assert Application.objects.get(user=user).bylaws_version == "2026-03"


# --- staff in the admin -------------------------------------------------------------------

def test_staff_add_and_publish_a_version_in_the_admin(client):
    staff = StaffFactory()
    client.force_login(staff)
    response = client.post("/admin/membership/bylaws/add/", {
        "version": "2026-05", "text": TEXT, "adopted_on": "2026-05-02", "published": "on"})
    assert response.status_code == 302
    published = Bylaws.objects.get()
    assert published.published and published.version == "2026-05"
    # The label is copied where the paper-application admin and the service read it.
    assert Cooperative.current().bylaws_version == "2026-05"
    audit = AuditRecord.objects.get(action="bylaws.saved")
    assert audit.facts == {"version": "2026-05", "adopted_on": "2026-05-02",
                           "published": True, "created": True}
    assert audit.actor_id == staff.pk


def test_a_label_that_cannot_be_part_of_an_address_is_refused(client):
    client.force_login(StaffFactory())
    response = client.post("/admin/membership/bylaws/add/", {
        "version": "2026/05", "text": TEXT, "adopted_on": "2026-05-02"})
    assert response.status_code == 200
    assert "Use letters, digits, dots, dashes and underscores" in response.content.decode()
    assert not Bylaws.objects.exists()


def test_a_draft_can_be_edited_a_published_version_cannot(client, current):
    client.force_login(StaffFactory())
    draft = Bylaws.objects.create(version="2027-01", text="Draft.", adopted_on=date(2027, 1, 1))
    response = client.post(f"/admin/membership/bylaws/{draft.pk}/change/", {
        "version": "2027-01", "text": "Draft, amended.", "adopted_on": "2027-01-01"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.text == "Draft, amended."

    response = client.post(f"/admin/membership/bylaws/{current.pk}/change/", {
        "version": "2026-03", "text": "Rewritten.", "adopted_on": "2026-03-14",
        "published": "on"})
    assert response.status_code == 403
    assert client.post(f"/admin/membership/bylaws/{current.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    current.refresh_from_db()
    assert current.text == TEXT


def test_the_service_refuses_changes_to_a_published_version_and_non_staff(current):
    current.text = "Rewritten."
    with pytest.raises(Exception, match="A published version cannot be changed"):
        bylaws.bylaws_save(bylaws=current, actor=StaffFactory())
    with pytest.raises(NotAllowed):
        bylaws.bylaws_save(bylaws=Bylaws(version="x", text="x", adopted_on=date(2026, 1, 1)),
                           actor=REGISTRAR)
