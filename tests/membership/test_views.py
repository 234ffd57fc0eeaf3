"""The member pages in the browser: each as anonymous, non-member, member and staff."""

import re
from datetime import date

import pytest
from django.apps import apps
from django.urls import reverse

from coop.models import AuditRecord, Cooperative
from membership import services
from membership.models import Application, Member
from tests.membership.factories import REGISTRAR

from .factories import StaffFactory, StakeholderClassFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _governance_has_electors() -> bool:
    try:
        apps.get_model("governance", "Elector")
    except LookupError:
        return False
    return True


# The home page of an active member also counts the votes waiting for them, once governance has
# its electorates.
VOTES_QUERY = 1 if _governance_has_electors() else 0


@pytest.fixture
def photographers():
    return StakeholderClassFactory()  # 50.00 a share, 2 to 20 shares


@pytest.fixture
def member(photographers):
    return make_member(stakeholder_class=photographers, shares=3, paid=True)


def login(client, user):
    client.force_login(user)
    return client


def apply_data(stakeholder_class, **overrides):
    data = {"stakeholder_class": stakeholder_class.pk, "shares": "3", "name": "Ada Lovelace",
            "motivation": "I sell my photos.", "organisation_name": "", "registration_number": "",
            "referrer_number": "", "accept_bylaws": "on",
            # the version the page shows (Cooperative's default; no Bylaws row published here)
            "bylaws_version": "2026-01"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- layout ------------------------------------------------------------------------------

def test_layout_has_landmarks_skip_link_and_nonced_htmx(client):
    response = client.get("/")
    html = response.content.decode()
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert 'role="status"' in html
    nonce = re.search(r'<script src="/static/js/htmx.min.js" nonce="([^"]+)"', html).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    # Nothing inline that the CSP would block.
    assert "style=" not in html
    assert "<style" not in html


def test_every_input_of_the_apply_form_has_a_label(client, photographers):
    html = login(client, UserFactory()).get(reverse("apply")).content.decode()
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    assert ids
    for input_id in ids:
        assert f'for="{input_id}"' in html, input_id


# --- home --------------------------------------------------------------------------------

def test_home_anonymous_is_a_public_landing_page(client, photographers):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("account_login") in html and reverse("account_signup") in html
    assert "Photographers" in html and "50.00 EUR" in html


def test_home_non_member_is_invited_to_apply(client, django_assert_num_queries):
    Cooperative.current()  # the row exists in a running cooperative
    login(client, UserFactory())
    # user with their member row (none; the session comes from the cache), cooperative,
    # application (none): the navigation asks no more
    with django_assert_num_queries(3):
        response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("apply") in html
    assert "Apply for membership" in html
    assert reverse("directory") not in html  # members only: not offered


def test_home_non_member_sees_their_pending_application(client, photographers):
    user = UserFactory()
    services.application_submit(stakeholder_class=photographers, shares=4, name="Ada",
                                email=user.email, user=user)
    html = login(client, user).get("/").content.decode()
    assert "waiting for a decision" in html
    assert "4 shares" in html


def test_home_member_awaiting_payment_is_told_what_to_pay(client, photographers):
    member = make_member(stakeholder_class=photographers, shares=5)
    services.share_payment_record(actor=REGISTRAR,
                                  member=member, amount_minor=3000, paid_on=date.today())
    html = login(client, member.user).get("/").content.decode()
    assert f"Member {member.member_number}" in html
    assert "Awaiting payment" in html
    # Two shares of 50.00 make the buy-in; 30.00 is paid.
    assert "Pay <strong>70.00 EUR</strong> more to become an active member" in html
    assert "30.00 EUR</strong> of 250.00 EUR" in html
    assert '<progress id="paid-progress" max="25000" value="3000"' in html
    assert "No share has been issued yet" in html


def test_home_active_member_sees_shares_certificates_and_payments(client, member):
    html = login(client, member.user).get("/").content.decode()
    assert "Active" in html
    assert "150.00 EUR</strong> of 150.00 EUR" in html
    for certificate in member.certificates.all():
        assert reverse("certificate", args=[certificate.certificate_number]) in html
    assert "test" in html  # the payment's reference
    assert "/governance/" in html


def test_home_asks_an_active_member_to_vote_until_they_have(client, member):
    from governance import services as governance
    from tests.governance.factories import open_proposal

    login(client, member.user)
    assert "Vote on" not in client.get("/").content.decode()
    proposal = open_proposal()
    assert "Vote on 1 open proposal</a>" in client.get("/").content.decode()
    governance.ballot_cast(proposal=proposal, member=member, choice="yes")
    assert "Vote on" not in client.get("/").content.decode()


def test_home_shows_a_reversed_payment(client, photographers):
    member = make_member(stakeholder_class=photographers, shares=2, paid=True)
    payment = member.payments.get()
    services.share_payment_reverse(actor=REGISTRAR, payment=payment, reason="bank returned it")
    html = login(client, member.user).get("/").content.decode()
    assert "(reversed)" in html and "Reversal" in html
    assert "Cancelled" in html
    assert "Awaiting payment" in html


def test_home_staff_without_membership_gets_the_non_member_page(client):
    response = login(client, StaffFactory()).get("/")
    assert response.status_code == 200
    assert reverse("admin:index") in response.content.decode()


def _make_members(photographers, count):
    return [make_member(stakeholder_class=photographers, paid=True) for _ in range(count)]


def test_home_query_count_does_not_grow_with_members_payments_or_certificates(
        client, photographers, django_assert_num_queries):
    # given a member with one payment and two shares, among few members
    few = make_member(stakeholder_class=photographers, shares=2, paid=True)
    login(client, few.user)
    # user with member (the session comes from the cache), cooperative, member_home (3),
    # unread notifications in the nav (+ votes waiting), vitality's pulse survey (settings, own
    # answer) and highlights (the latest final snapshot)
    expected = 6 + VOTES_QUERY + 3
    with django_assert_num_queries(expected):
        client.get("/")
    # when there are many more members, and a member with many payments and certificates
    _make_members(photographers, 15)
    many = make_member(stakeholder_class=photographers, shares=20)
    for _ in range(10):
        services.share_payment_record(actor=REGISTRAR,
                                      member=many, amount_minor=10000, paid_on=date.today())
    login(client, many.user)
    # then the page costs the same
    with django_assert_num_queries(expected):
        response = client.get("/")
    assert response.content.decode().count("Printable certificate") == 20


# --- apply -------------------------------------------------------------------------------

def test_apply_needs_sign_in(client):
    response = client.get(reverse("apply"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_apply_happy_path_stores_the_application(client, photographers, member):
    user = UserFactory()
    response = login(client, user).post(reverse("apply"), apply_data(
        photographers, referrer_number=str(member.member_number)))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    application = Application.objects.get(user=user)
    assert application.shares == 3
    assert application.name == "Ada Lovelace"
    assert application.email == user.email
    assert application.referred_by == member
    assert application.bylaws_version == "2026-01"
    assert application.source == Application.Source.WEB
    assert "application was received" in client.get("/").content.decode()


def test_apply_for_an_organisation(client, photographers):
    user = UserFactory()
    login(client, user).post(reverse("apply"), apply_data(
        photographers, organisation_name="Studio Nord", registration_number="DE-123"))
    application = Application.objects.get(user=user)
    assert application.kind == "organisation"
    assert application.display_name == "Studio Nord"


@pytest.mark.parametrize("overrides, message", [
    ({"shares": "21"}, "Photographers members subscribe between 2 and 20 shares."),
    ({"shares": "1"}, "Photographers members subscribe between 2 and 20 shares."),
    ({"shares": "many"}, "Enter a whole number."),
    ({"accept_bylaws": None}, "You must accept the bylaws to apply."),
    ({"referrer_number": "999"}, "No member has this number."),
    ({"organisation_name": "Studio Nord"}, "Required for an organisation."),
    ({"name": ""}, "This field is required."),
])
def test_apply_bad_input_is_shown_on_the_page_and_nothing_is_stored(
        client, photographers, overrides, message):
    response = login(client, UserFactory()).post(reverse("apply"),
                                                 apply_data(photographers, **overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert 'aria-invalid="true"' in html
    assert Application.objects.count() == 0


def test_apply_with_a_referrer_who_has_left(client, photographers):
    leaver = make_member(stakeholder_class=photographers, paid=True)
    services.member_exit(actor=REGISTRAR, member=leaver)
    applicant = UserFactory()
    response = login(client, applicant).post(reverse("apply"), apply_data(
        photographers, referrer_number=str(leaver.member_number)))
    assert "Not a current member." in response.content.decode()
    assert not Application.objects.filter(user=applicant).exists()


def test_applying_twice_is_refused_on_the_page(client, photographers):
    user = UserFactory()
    login(client, user).post(reverse("apply"), apply_data(photographers))
    assert Application.objects.count() == 1
    # The page no longer offers the form...
    assert "already have an application in progress" in client.get(
        reverse("apply")).content.decode()
    # ...and a second post (an old tab) is refused by the service.
    response = client.post(reverse("apply"), apply_data(photographers, shares="5"))
    assert response.status_code == 200
    assert "You already have an application in progress." in response.content.decode()
    assert Application.objects.count() == 1
    assert Application.objects.get().shares == 3


def test_apply_as_a_member_goes_home(client, member):
    response = login(client, member.user).get(reverse("apply"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_apply_by_htmx_returns_the_form_fragment_or_a_client_redirect(client, photographers):
    login(client, UserFactory())
    response = client.post(reverse("apply"), apply_data(photographers, shares="99"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="apply-form"')
    assert "<html" not in html
    assert response["Vary"] and "HX-Request" in response["Vary"]
    response = client.post(reverse("apply"), apply_data(photographers), **HTMX)
    assert response["HX-Redirect"] == reverse("home")
    assert Application.objects.count() == 1


# --- directory ---------------------------------------------------------------------------

def test_directory_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("directory"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_directory_is_forbidden_to_non_members(client, photographers):
    response = login(client, UserFactory()).get(reverse("directory"))
    assert response.status_code == 403
    assert "Members only" in response.content.decode()


def test_directory_is_forbidden_to_exited_members(client, photographers):
    leaver = make_member(stakeholder_class=photographers, paid=True)
    services.member_exit(actor=REGISTRAR, member=leaver)
    assert login(client, leaver.user).get(reverse("directory")).status_code == 403


def test_directory_lists_members_but_not_those_who_hid_themselves(client, photographers, member):
    hidden = make_member(stakeholder_class=photographers, paid=True)
    services.member_directory_visibility_set(actor=REGISTRAR, member=hidden, visible=False)
    leaver = make_member(stakeholder_class=photographers, paid=True)
    services.member_exit(actor=REGISTRAR, member=leaver)
    html = login(client, member.user).get(reverse("directory")).content.decode()
    assert member.name in html
    assert "Photographers" in html
    assert hidden.name not in html
    assert leaver.name not in html


def test_directory_for_staff(client, member):
    response = login(client, StaffFactory()).get(reverse("directory"))
    assert response.status_code == 200
    assert member.name in response.content.decode()
    assert f'href="{reverse("directory")}" aria-current="page"' in response.content.decode()


def test_directory_search_and_class_filter(client, photographers):
    clients_class = StakeholderClassFactory(slug="clients", name="Clients", share_price_minor=0,
                                            min_shares=1, max_shares=1)
    ada = make_member(stakeholder_class=photographers, paid=True,
                      user=UserFactory(full_name="Ada Lovelace"))
    grace = make_member(stakeholder_class=clients_class,
                        user=UserFactory(full_name="Grace Hopper"))
    login(client, ada.user)
    html = client.get(reverse("directory"), {"q": "hopp"}).content.decode()
    assert "Grace Hopper" in html and "Ada Lovelace" not in html
    html = client.get(reverse("directory"), {"stakeholder_class": "photographers"}).content.decode()
    assert "Ada Lovelace" in html and "Grace Hopper" not in html
    assert grace.status == Member.Status.ACTIVE  # free shares: active at approval


def test_directory_htmx_returns_only_the_results(client, member):
    response = login(client, member.user).get(reverse("directory"), {"q": member.name[:3]},
                                              **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="directory-results"')
    assert "<html" not in html and member.name in html


def test_directory_history_restore_gets_the_whole_page(client, member):
    response = login(client, member.user).get(
        reverse("directory"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_directory_is_paginated_and_keeps_the_filter(client, photographers):
    members = _make_members(photographers, 27)
    login(client, members[0].user)
    page1 = client.get(reverse("directory"), {"stakeholder_class": "photographers"})
    assert page1.context["page"].has_next
    assert len(page1.context["page"].object_list) == 25
    assert "stakeholder_class=photographers&amp;page=2" in page1.content.decode()
    page2 = client.get(reverse("directory"), {"stakeholder_class": "photographers", "page": 2})
    assert len(page2.context["page"].object_list) == 2


def test_directory_query_count_does_not_grow_with_members(
        client, photographers, django_assert_num_queries):
    viewer = make_member(stakeholder_class=photographers, paid=True)
    login(client, viewer.user)
    # user with the viewer's member row (the session comes from the cache), unread
    # notifications in the nav, page (no COUNT), classes in the filter (+1 when a class is chosen)
    with django_assert_num_queries(4):
        client.get(reverse("directory"))
    search = {"stakeholder_class": "photographers", "q": viewer.name[:2]}
    with django_assert_num_queries(5):
        client.get(reverse("directory"), search)
    _make_members(photographers, 30)
    with django_assert_num_queries(4):
        response = client.get(reverse("directory"))
    assert len(response.context["page"].object_list) == 25
    with django_assert_num_queries(5):
        client.get(reverse("directory"), search)


# --- certificate -------------------------------------------------------------------------

def test_certificate_for_its_owner(client, member):
    certificate = member.certificates.first()
    response = login(client, member.user).get(
        reverse("certificate", args=[certificate.certificate_number]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"No. {certificate.certificate_number}" in html
    assert member.name in html and "50.00 EUR" in html
    assert "js/print.js" in html


def test_certificate_for_staff(client, member):
    certificate = member.certificates.first()
    response = login(client, StaffFactory()).get(
        reverse("certificate", args=[certificate.certificate_number]))
    assert response.status_code == 200


def test_certificate_not_for_another_member_nor_a_stranger(client, member, photographers):
    url = reverse("certificate", args=[member.certificates.first().certificate_number])
    other = make_member(stakeholder_class=photographers, paid=True)
    assert login(client, other.user).get(url).status_code == 404
    assert login(client, UserFactory()).get(url).status_code == 404
    assert login(client, member.user).get(reverse("certificate", args=[9999])).status_code == 404


def test_certificate_anonymous_is_sent_to_sign_in(client, member):
    url = reverse("certificate", args=[member.certificates.first().certificate_number])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- profile -----------------------------------------------------------------------------

def test_profile_anonymous_is_sent_to_sign_in(client):
    assert client.get(reverse("profile")).status_code == 302


def test_profile_non_member_has_account_links_but_no_directory_toggle(client):
    user = UserFactory()
    html = login(client, user).get(reverse("profile")).content.decode()
    assert user.email in html
    assert reverse("account_email") in html and reverse("mfa_index") in html
    assert reverse("profile-visibility") not in html


def test_profile_saves_the_name(client):
    user = UserFactory(full_name="")
    response = login(client, user).post(reverse("profile"), {"full_name": "Ada Lovelace"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.full_name == "Ada Lovelace"


def test_profile_hides_and_shows_the_member_in_the_directory(client, member):
    login(client, member.user)
    assert "Hide me from the directory" in client.get(reverse("profile")).content.decode()
    response = client.post(reverse("profile-visibility"), {"visible": "0"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.directory_visible is False
    assert "You are hidden from the members directory." in client.get(
        reverse("profile")).content.decode()
    assert member.name not in client.get(reverse("directory")).content.decode()


def test_profile_visibility_by_htmx_returns_the_fragment(client, member):
    services.member_directory_visibility_set(actor=REGISTRAR, member=member, visible=False)
    response = login(client, member.user).post(reverse("profile-visibility"), {"visible": "1"},
                                               **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="visibility"')
    assert "You are listed in the members directory." in html
    member.refresh_from_db()
    assert member.directory_visible is True


def test_profile_visibility_for_a_non_member_changes_nothing(client):
    response = login(client, UserFactory()).post(reverse("profile-visibility"), {"visible": "0"})
    assert response.status_code == 302
    assert Member.objects.count() == 0


def test_profile_visibility_refuses_get(client, member):
    assert login(client, member.user).get(reverse("profile-visibility")).status_code == 405


# --- profile: the name goes through services.profile_update ----------------------------------

def name_changes(user) -> list[dict]:
    return list(AuditRecord.objects.filter(action="user.profile_updated", object_id=str(user.pk))
                .values_list("facts", flat=True))


def test_profile_name_is_saved_by_the_service_and_audited(client):
    user = UserFactory(full_name="Ada Byron")
    response = login(client, user).post(reverse("profile"), {"full_name": " Ada Lovelace "},
                                        follow=True)
    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert "Your name was saved." in response.content.decode()
    user.refresh_from_db()
    assert user.full_name == "Ada Lovelace"
    assert name_changes(user) == [{"fields": ["full_name"]}]


def test_profile_form_shows_the_current_name_and_the_rules_to_the_browser(client):
    user = UserFactory(full_name="Ada Lovelace")
    html = login(client, user).get(reverse("profile")).content.decode()
    field = re.search(r'<input[^>]*name="full_name"[^>]*>', html).group(0)
    assert 'value="Ada Lovelace"' in field
    assert "required" in field and 'maxlength="200"' in field
    assert 'autocomplete="name"' in field


@pytest.mark.parametrize(("name", "says"), [
    ("", "This field is required."),
    ("   ", "This field is required."),
    ("x" * 201, "A name has at most 200 characters (this one has 201)."),
])
def test_profile_refused_name_is_shown_on_the_field_and_changes_nothing(client, name, says):
    user = UserFactory(full_name="Ada Lovelace")
    response = login(client, user).post(reverse("profile"), {"full_name": name})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"full_name": [says]}
    html = response.content.decode()
    assert says in html and 'aria-invalid="true"' in html
    user.refresh_from_db()
    assert user.full_name == "Ada Lovelace"
    assert name_changes(user) == []


def test_profile_same_name_again_records_nothing(client):
    user = UserFactory(full_name="Ada Lovelace")
    response = login(client, user).post(reverse("profile"), {"full_name": "Ada Lovelace"})
    assert response.status_code == 302
    assert name_changes(user) == []
