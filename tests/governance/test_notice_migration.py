"""The migration that moves governance's notifications into coop's notices keeps every row: the
member as recipient, the proposal (or, for a comment notification, the comment it was about) as
target, the kind mapped, created_at, read_at and emailed_at as they were. Run on a real
schema: migrate back to before it, write old rows, migrate forward."""

import importlib
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from coop.models import Notice
from governance import services
from governance.models import Comment
from tests.governance.helpers import active_members, new_proposal

BEFORE = [("governance", "0004_notification_emailed_at")]
AFTER = [("governance", "0006_notices_to_coop")]
migration = importlib.import_module("governance.migrations.0006_notices_to_coop")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema(transactional_db):
    """The data made on today's schema, then the schema of before the move."""
    yield
    migrate(executor_leaf())  # whatever happened, leave the latest schema for the next test


def executor_leaf():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_every_notification_survives_the_move(old_schema):
    # given: members, a proposal, comments, and the notifications the old tasks wrote
    author, critic, third = active_members(3)
    proposal = new_proposal(author=author, title="Buy a cargo bike")
    services.comment_post(proposal=proposal, member=critic, body="Too expensive.")
    first = Comment.objects.get()
    services.comment_post(proposal=proposal, member=third, body="Not if we share.", parent=first)
    second = Comment.objects.exclude(pk=first.pk).get()
    Notice.objects.all().delete()  # what the new code made; the old schema has none of it
    Comment.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=2))
    Comment.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(hours=1))

    old = migrate(BEFORE)
    Notification = old.get_model("governance", "Notification")
    t0 = timezone.now() - timedelta(days=1)
    rows = [
        # (member, kind, created_at, read_at, emailed_at)
        (author.pk, "vote_opened", t0, t0 + timedelta(hours=1), t0),
        (critic.pk, "vote_opened", t0, None, None),
        (third.pk, "result", t0 + timedelta(hours=3), None, t0 + timedelta(hours=3)),
        (author.pk, "reminder", t0 + timedelta(hours=2), None, t0 + timedelta(hours=2)),
        # two comment notifications for the author on one proposal (not unique before), and
        # the reply's to the critic
        (author.pk, "comment", timezone.now() - timedelta(minutes=119), None, None),
        (author.pk, "comment", timezone.now() - timedelta(minutes=59), t0, t0),
        (critic.pk, "comment", timezone.now() - timedelta(minutes=59), None, None),
    ]
    made = []
    for member, kind, created_at, read_at, emailed_at in rows:
        row = Notification.objects.create(member_id=member, proposal_id=proposal.pk, kind=kind,
                                          read_at=read_at, emailed_at=emailed_at)
        Notification.objects.filter(pk=row.pk).update(created_at=created_at)  # auto_now_add
        made.append(row.pk)

    # when
    migrate(AFTER)

    # then: one notice per old row, with its facts
    assert Notice.objects.count() == len(rows)
    member_type = ContentType.objects.get_for_model(author)
    proposal_type = ContentType.objects.get_for_model(proposal)
    comment_type = ContentType.objects.get_for_model(Comment)
    got = sorted(
        Notice.objects.values_list("recipient_type", "recipient_id", "kind", "created_at",
                                   "read_at", "emailed_at"),
        key=lambda r: (r[3], r[1], r[2]))
    want = sorted(
        [(member_type.pk, m, f"governance.{k}", c, r, e) for m, k, c, r, e in rows],
        key=lambda r: (r[3], r[1], r[2]))
    assert got == want
    for notice in Notice.objects.exclude(kind="governance.comment"):
        assert (notice.target_type_id, notice.target_id) == (proposal_type.pk, proposal.pk)
        assert notice.url == f"/governance/proposals/{proposal.pk}/#vote"
    # The comment notifications point at the comments they were about: the author's first at
    # the first comment, the second and the critic's at the reply.
    comments = {
        (n.recipient_id, n.created_at): (n.target_type_id, n.target_id)
        for n in Notice.objects.filter(kind="governance.comment")
    }
    assert comments == {
        (author.pk, rows[4][2]): (comment_type.pk, first.pk),
        (author.pk, rows[5][2]): (comment_type.pk, second.pk),
        (critic.pk, rows[6][2]): (comment_type.pk, second.pk),
    }
    assert set(Notice.objects.filter(kind="governance.comment").values_list("title", "url")) == {
        ("New comment on “Buy a cargo bike”",
         f"/governance/proposals/{proposal.pk}/#discussion")}
    assert Notice.objects.get(kind="governance.result").title == (
        "The vote on “Buy a cargo bike” has closed: see the result")


def test_a_comment_notification_without_a_comment_to_pair_keeps_its_row():
    # The pairing never drops a row: more notifications than comments fall back to the proposal.
    t = timezone.now()
    notes = [(1, 7, 3, t), (2, 7, 3, t + timedelta(minutes=1))]
    comments = {3: [(10, 8, None, t - timedelta(minutes=1))]}
    targets = migration.comment_targets(notes, comments, {3: 7})
    assert targets == {1: ("comment", 10), 2: ("proposal", 3)}
    with pytest.raises(RuntimeError):  # and a third one stops the migration, losing nothing
        migration.comment_targets([*notes, (3, 7, 3, t + timedelta(minutes=2))], comments,
                                  {3: 7})


@pytest.mark.django_db(transaction=True)
def test_notifications_older_than_the_marker_count_as_emailed(old_schema):
    """(Was in test_email_retry.) Migration 0004's data step, on the schema it ran on."""
    member = active_members(1)[0]
    proposal = new_proposal()
    old = migrate(BEFORE)
    Notification = old.get_model("governance", "Notification")
    made = timezone.now() - timedelta(days=3)
    row = Notification.objects.create(member_id=member.pk, proposal_id=proposal.pk,
                                      kind="result")
    Notification.objects.filter(pk=row.pk).update(created_at=made)
    step = importlib.import_module("governance.migrations.0004_notification_emailed_at")

    step.mark_earlier_notifications_emailed(old, None)

    assert Notification.objects.get(pk=row.pk).emailed_at == made
