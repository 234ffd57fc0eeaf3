"""The general notice mechanism (coop.notices): kinds registered by the apps, one notice per
(recipient, kind, target) held by the database, email rendered from templates (plain text
unescaped, an optional HTML part), staff notices through notify_staff."""

import copy

import pytest
from django.db import IntegrityError, transaction

from coop import notices
from coop.models import Notice
from governance import services as governance
from tests import flaky_mail
from tests import notices as notice_rows
from tests.governance.factories import TEST_JOB
from tests.governance.helpers import active_members, new_proposal
from tests.membership.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ALERT = notices.NoticeKind(
    name="coop.test_alert",
    label="A test alert for staff",
    title=lambda target: "Something needs a look",
    url=lambda target: "/admin/",
    context=lambda target: {"what": "the <test> & its alert"},
    audience="staff",
)
ALERT_TEMPLATES = {
    "coop/notices/test_alert.subject.txt": "Alert:\n {{ what }}\n",
    "coop/notices/test_alert.txt": "Look at {{ what }}.\n",
    "coop/notices/test_alert.html": "<p>Look at {{ what }}.</p>\n",
    "coop/notices/test_quiet.subject.txt": "Quiet",
    "coop/notices/test_quiet.txt": "Only for those who asked.\n",
}
QUIET = notices.NoticeKind(name="coop.test_quiet", label="Off by default", title=lambda t: "Q",
                           email=False, audience="staff")


@pytest.fixture
def alert_kind(settings):
    """A kind with no target, registered as a higher app would, with its templates (HTML too)."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["APP_DIRS"] = False
    templates[0]["OPTIONS"]["loaders"] = [
        ("django.template.loaders.locmem.Loader", ALERT_TEMPLATES),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = templates
    notices.register(ALERT)
    notices.register(QUIET)
    yield ALERT
    notices.KINDS.pop(ALERT.name)
    notices.KINDS.pop(QUIET.name)


def test_a_kind_is_named_after_its_app_and_registered_once():
    with pytest.raises(ValueError):
        notices.NoticeKind(name="no_app", label="x", title=str)
    assert notices.kind_of("governance.vote_opened").label
    with pytest.raises(ValueError):
        notices.register(notices.NoticeKind(name="governance.vote_opened", label="other",
                                            title=str))
    with pytest.raises(LookupError):
        notices.kind_of("governance.no_such_kind")
    # Every kind the apps registered has its subject and text templates.
    from django.template.loader import get_template
    for kind in notices.KINDS.values():
        for name in kind.templates[:2]:
            get_template(name)


def test_the_recipient_model_must_be_registered():
    proposal = new_proposal()
    with pytest.raises(LookupError):
        notices.notices_create(kind="governance.result", recipient_model=type(proposal),
                               recipient_ids=[1], target=proposal)


def test_notices_are_made_once_per_recipient_kind_and_target():
    members = active_members(2)
    proposal = new_proposal()
    ids = [m.pk for m in members]
    for _ in range(2):  # a service run twice adds nothing
        notices.notices_create(kind="governance.vote_opened", recipient_model=type(members[0]),
                               recipient_ids=ids, target=proposal)
    assert notice_rows.about(proposal).count() == 2
    # The database holds it, whatever writes the row.
    row = notice_rows.about(proposal).first()
    row.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_staff_are_told_by_notify_staff_with_an_html_part(
        alert_kind, settings, mailoutbox, django_capture_on_commit_callbacks):
    staff = [StaffFactory(email="s1@example.org"), StaffFactory(email="s2@example.org")]
    UserFactory(email="member@example.org")  # not staff
    flaky_mail.use(settings, flaky_mail.Script())

    with django_capture_on_commit_callbacks(execute=True):
        notices.notify_staff(kind="coop.test_alert")
    with django_capture_on_commit_callbacks(execute=True):
        notices.notify_staff(kind="coop.test_alert")  # once per recipient and kind

    assert sorted(m.to[0] for m in mailoutbox) == ["s1@example.org", "s2@example.org"]
    message = mailoutbox[0]
    # One line of subject; the plain text as written; the HTML part escaped.
    assert message.subject == f"[{settings.COOP_NAME}] Alert: the <test> & its alert"
    assert message.body == "Look at the <test> & its alert.\n"
    assert message.alternatives[0].content == "<p>Look at the &lt;test&gt; &amp; its alert.</p>\n"
    assert sorted(Notice.objects.values_list("recipient_id", flat=True)) == sorted(
        u.pk for u in staff)
    assert notices.unread_count(staff[0]) == 1


def test_plain_text_emails_are_not_html_escaped(settings, mailoutbox,
                                                django_capture_on_commit_callbacks):
    active_members(1)
    flaky_mail.use(settings, flaky_mail.Script())
    with django_capture_on_commit_callbacks(execute=True):
        proposal = governance.proposal_open(actor=TEST_JOB,
                                            proposal=new_proposal(title='Tea & "biscuits"'))
    (message,) = [m for m in mailoutbox if "Voting is open" in m.subject]
    assert message.subject == f'[{settings.COOP_NAME}] Voting is open: Tea & "biscuits"'
    assert message.body == (
        f'Voting on "Tea & "biscuits"" is open until '
        f"{proposal.closes_at:%Y-%m-%d %H:%M %Z}.\n\n"
        f"Vote here: {settings.SITE_URL}/governance/proposals/{proposal.pk}/\n")
    assert not message.alternatives  # governance has no HTML part


def test_a_comment_deleted_before_its_email_leaves_the_notice_in_the_inbox(
        settings, mailoutbox):
    author, critic = active_members(2)
    proposal = new_proposal(author=author)
    comment = governance.comment_post(proposal=proposal, member=critic, body="No.")  # not sent
    notice = notice_rows.about(comment).get()
    comment_id = comment.pk
    comment.delete()  # staff remove it in admin before the task runs
    comment.pk = comment_id
    flaky_mail.use(settings, flaky_mail.Script())

    assert notice_rows.email_again(comment, "governance.comment").get() == 0
    assert not mailoutbox
    notice.refresh_from_db()
    assert notice.title.startswith("New comment on") and notice.emailed_at is None


def test_a_kind_off_by_default_is_emailed_only_to_those_who_asked(
        alert_kind, settings, mailoutbox, django_capture_on_commit_callbacks):
    asked, silent = StaffFactory(email="asked@example.org"), StaffFactory()
    notices.notice_preferences_set(recipient=asked, email={"coop.test_quiet": True})
    flaky_mail.use(settings, flaky_mail.Script())

    with django_capture_on_commit_callbacks(execute=True):
        notices.notify_staff(kind="coop.test_quiet")

    assert [m.to for m in mailoutbox] == [["asked@example.org"]]
    assert notices.unread_count(silent) == 1  # in the inbox all the same
