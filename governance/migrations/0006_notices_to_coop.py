"""The governance notifications become coop notices (coop.Notice), every row kept: recipient the
member, target the proposal (a comment notification's target: the comment it was about), kind,
created_at, read_at and emailed_at as they were; then the old table goes."""

from collections import defaultdict

from django.db import migrations

BATCH = 1000

# old kind -> (new kind, inbox line, anchor): the texts the inbox showed for them.
KINDS = {
    "vote_opened": ("governance.vote_opened", "Voting is open on “{title}”", "#vote"),
    "reminder": ("governance.reminder", "Reminder: the vote on “{title}” closes soon", "#vote"),
    "result": ("governance.result", "The vote on “{title}” has closed: see the result", "#vote"),
    "comment": ("governance.comment", "New comment on “{title}”", "#discussion"),
}


def _content_type(apps, db, app_label, model):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return ContentType.objects.using(db).get_or_create(app_label=app_label, model=model)[0]


def comment_targets(notes, comments, proposal_author) -> dict[int, tuple[str, int]]:
    """Which comment each old comment notification was about, as ("comment", id), or
    ("proposal", id) when no comment is left to pair it with.

    A comment notified the proposal's author and the author of the comment replied to (not the
    commenter), right after it was posted, at most once each. So for each member and proposal,
    in time order, a notification takes the latest unused comment that notified that member
    and was posted before it; failing that any unused comment on the proposal not the member's
    own, then any unused one, then the proposal itself (once): each (member, target) once, so
    the unique constraint holds and no row is dropped.

    `notes`: [(id, member_id, proposal_id, created_at)]; `comments`: proposal_id ->
    [(id, author_id, parent_author_id, created_at)] in time order."""
    targets = {}
    used = defaultdict(set)  # (member, proposal) -> comment ids taken
    for pk, member, proposal, created_at in sorted(notes, key=lambda n: (n[3], n[0])):
        taken = used[(member, proposal)]
        on_proposal = [c for c in comments.get(proposal, []) if c[0] not in taken]
        notified = [c for c in on_proposal if c[1] != member
                    and member in (proposal_author.get(proposal), c[2])]
        before = [c for c in notified if c[3] <= created_at]
        for pool in (before[::-1], notified, [c for c in on_proposal if c[1] != member],
                     on_proposal):
            if pool:
                taken.add(pool[0][0])
                targets[pk] = ("comment", pool[0][0])
                break
        else:
            if ("proposal", proposal) in taken:
                raise RuntimeError(
                    f"Notification {pk}: no comment left to pair it with; nothing was migrated.")
            taken.add(("proposal", proposal))
            targets[pk] = ("proposal", proposal)
    return targets


def copy_to_notices(apps, schema_editor):
    db = schema_editor.connection.alias
    Notification = apps.get_model("governance", "Notification")
    Comment = apps.get_model("governance", "Comment")
    Proposal = apps.get_model("governance", "Proposal")
    Notice = apps.get_model("coop", "Notice")
    if not Notification.objects.using(db).exists():
        return
    member_type = _content_type(apps, db, "membership", "member")
    types = {"proposal": _content_type(apps, db, "governance", "proposal"),
             "comment": _content_type(apps, db, "governance", "comment")}

    comment_notes = list(Notification.objects.using(db).filter(kind="comment")
                         .values_list("pk", "member_id", "proposal_id", "created_at"))
    proposal_ids = {n[2] for n in comment_notes}
    comments = defaultdict(list)
    for row in (Comment.objects.using(db).filter(proposal_id__in=proposal_ids)
                .order_by("created_at", "pk")
                .values_list("pk", "proposal_id", "author_id", "parent__author_id",
                             "created_at")):
        comments[row[1]].append((row[0], row[2], row[3], row[4]))
    authors = dict(Proposal.objects.using(db).filter(pk__in=proposal_ids)
                   .values_list("pk", "author_id"))
    about = comment_targets(comment_notes, comments, authors)

    rows = (Notification.objects.using(db).order_by("pk")
            .values_list("pk", "member_id", "proposal_id", "proposal__title", "kind",
                         "created_at", "read_at", "emailed_at"))
    batch = []
    for pk, member, proposal, title, kind, created_at, read_at, emailed_at in rows.iterator(
            chunk_size=BATCH):
        new_kind, text, anchor = KINDS.get(kind, (f"governance.{kind}", "“{title}”", ""))
        target, target_id = about.get(pk, ("proposal", proposal))
        batch.append(Notice(
            recipient_type=member_type, recipient_id=member, kind=new_kind,
            target_type=types[target], target_id=target_id,
            title=text.format(title=title)[:300],
            url=f"/governance/proposals/{proposal}/{anchor}",
            created_at=created_at, read_at=read_at, emailed_at=emailed_at,
        ))
        if len(batch) == BATCH:
            Notice.objects.using(db).bulk_create(batch)  # a conflict raises: nothing is lost
            batch = []
    Notice.objects.using(db).bulk_create(batch)


def copy_back(apps, schema_editor):
    db = schema_editor.connection.alias
    Notification = apps.get_model("governance", "Notification")
    Comment = apps.get_model("governance", "Comment")
    Notice = apps.get_model("coop", "Notice")
    member_type = _content_type(apps, db, "membership", "member")
    comment_type = _content_type(apps, db, "governance", "comment")
    old_kind = {new: old for old, (new, _, _) in KINDS.items()}
    notices = Notice.objects.using(db).filter(recipient_type=member_type,
                                              kind__in=list(old_kind)).order_by("pk")
    on = dict(Comment.objects.using(db).filter(
        pk__in=notices.filter(target_type=comment_type).values("target_id"))
        .values_list("pk", "proposal_id"))
    Notification.objects.using(db).bulk_create([
        Notification(member_id=n.recipient_id, kind=old_kind[n.kind],
                     proposal_id=on[n.target_id] if n.target_type_id == comment_type.pk
                     else n.target_id,
                     created_at=n.created_at, read_at=n.read_at, emailed_at=n.emailed_at)
        for n in notices
    ], batch_size=BATCH)
    notices.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("coop", "0005_notice"),
        ("governance", "0005_enactment"),
    ]

    operations = [
        migrations.RunPython(copy_to_notices, copy_back),
        migrations.DeleteModel(name="Notification"),
    ]
