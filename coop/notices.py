"""Notices for every app: a registry of kinds that each app fills at start-up, the one service
that writes notices (and queues their email), the email step the one task calls, and the reads
of an inbox.

coop knows no app's models: an app registers its kinds (`register`) and the models whose rows
may receive a notice (`register_recipient`, with the field holding their address) in its
AppConfig.ready. A notice's recipient and target are generic references (contenttypes), so a
member without an account still gets their email, and staff users can get notices too.

Emails are rendered from templates `<app>/notices/<name>.subject.txt`, `<name>.txt` and, when
it exists, `<name>.html` (the HTML part), with the context the kind builds from its target:
rendered once per (kind, target) batch, as a notice's text is the same for every recipient."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.db.models import Case, CharField, Exists, OuterRef, QuerySet, Subquery, Value, When
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone

from . import mail
from .models import Notice, NoticePreference

log = logging.getLogger(__name__)

BATCH = 1000
UNREAD_CAP = 99  # the nav says "99+" beyond this


@dataclass(frozen=True)
class NoticeKind:
    """What an app says about one kind of notice.

    `name` is "<app>.<kind>" (its templates are in `<app>/notices/<kind>.*`); `title` and `url`
    build the inbox line and its link (a site path) from the target; `context` the email
    templates' context (coop_name and site_url are added); `load` fetches the target for the
    email with what its templates read. `email` is the default for people who chose nothing;
    `audience` says who receives it ("member" kinds are offered in the members' settings form).
    """

    name: str
    label: str
    title: Callable[[Any], str]
    url: Callable[[Any], str] = lambda target: ""
    context: Callable[[Any], dict] = lambda target: {"target": target}
    target_model: type[models.Model] | None = None
    load: Callable[[int], Any] | None = None
    email: bool = True
    audience: str = "member"
    templates: tuple[str, str, str] = field(init=False)

    def __post_init__(self):
        app, _, kind = self.name.partition(".")
        if not app or not kind:
            raise ValueError(f"A notice kind is named <app>.<kind>, not {self.name!r}.")
        base = f"{app}/notices/{kind}"
        object.__setattr__(self, "templates",
                           (f"{base}.subject.txt", f"{base}.txt", f"{base}.html"))

    def load_target(self, target_id: int | None):
        if target_id is None or self.target_model is None:
            return None
        if self.load is not None:
            return self.load(target_id)
        return self.target_model._default_manager.get(pk=target_id)


KINDS: dict[str, NoticeKind] = {}
# "app_label.model" of each model a notice may go to -> (the model, its email address field).
RECIPIENTS: dict[str, tuple[type[models.Model], str]] = {}


def register(kind: NoticeKind) -> NoticeKind:
    """Called from an AppConfig.ready; registering the same name twice is a mistake."""
    if kind.name in KINDS and KINDS[kind.name] != kind:
        raise ValueError(f"The notice kind {kind.name} is already registered.")
    KINDS[kind.name] = kind
    return kind


def register_recipient(model: type[models.Model], *, email_field: str = "email") -> None:
    RECIPIENTS[model._meta.label_lower] = (model, email_field)


def kind_of(name: str) -> NoticeKind:
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(f"No notice kind {name!r} is registered.") from None


def member_kinds() -> list[NoticeKind]:
    """The kinds a member may receive, in registration order (the settings form)."""
    return [k for k in KINDS.values() if k.audience == "member"]


def _type_of(model_or_row) -> ContentType:
    return ContentType.objects.get_for_model(model_or_row, for_concrete_model=True)


# --- writing notices ----------------------------------------------------------------------


# No savepoint of its own: the rows go in with the caller's transaction, or not at all.
@transaction.atomic(savepoint=False)
def notices_create(
    *,
    kind: str,
    recipient_model: type[models.Model],
    recipient_ids: Iterable[int],
    target: models.Model | None = None,
    now: datetime | None = None,
) -> None:
    """A notice of `kind` about `target` for each recipient (rows of `recipient_model`), and
    their email queued for after the commit. Idempotent: the unique constraint makes a second
    call for the same recipient, kind and target add nothing, and only notices whose email has
    not gone out are emailed."""
    spec = kind_of(kind)
    if recipient_model._meta.label_lower not in RECIPIENTS:
        raise LookupError(f"{recipient_model._meta.label} is not registered as a recipient.")
    if (target is None) != (spec.target_model is None):
        raise ValueError(f"{kind}: the target must be a {spec.target_model}, not {target!r}.")
    recipient_type = _type_of(recipient_model)
    target_type = _type_of(target) if target is not None else None
    title, url = spec.title(target)[:300], spec.url(target)
    now = now or timezone.now()
    ids = list(recipient_ids)
    for start in range(0, len(ids), BATCH):
        Notice.objects.bulk_create(
            [
                Notice(recipient_type=recipient_type, recipient_id=pk, kind=kind,
                       target_type=target_type, target_id=target.pk if target else None,
                       title=title, url=url, created_at=now)
                for pk in ids[start : start + BATCH]
            ],
            ignore_conflicts=True,
        )
    if ids:
        from .tasks import notices_email

        target_type_id = target_type.pk if target_type else None
        target_id = target.pk if target is not None else None
        transaction.on_commit(lambda: notices_email.delay(kind, target_type_id, target_id))


def notice_send(*, kind: str, recipient: models.Model, target: models.Model | None = None,
                now: datetime | None = None) -> None:
    """One notice to one recipient (see notices_create)."""
    notices_create(kind=kind, recipient_model=type(recipient), recipient_ids=[recipient.pk],
                   target=target, now=now)


def notify_staff(*, kind: str, target: models.Model | None = None) -> None:
    """A notice to every active staff user (register the kind with audience="staff"); e.g. a
    failed enactment. Staff users are recipients through coop's own User model."""
    users = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("pk")
    notices_create(kind=kind, recipient_model=get_user_model(),
                   recipient_ids=users.values_list("pk", flat=True), target=target)


@transaction.atomic
def notice_preferences_set(*, recipient: models.Model, email: dict[str, bool]) -> None:
    """Whether `recipient` gets each kind by email; a choice equal to the kind's default is
    stored too, so a later change of the default does not overturn what a person chose."""
    recipient_type = _type_of(recipient)
    for name, on in email.items():
        kind_of(name)
        NoticePreference.objects.update_or_create(
            recipient_type=recipient_type, recipient_id=recipient.pk, kind=name,
            defaults={"email": bool(on)},
        )


# No savepoint of its own: erasing a person's data is all or nothing with the caller's.
@transaction.atomic(savepoint=False)
def notices_forget(recipient_model: type[models.Model], recipient_ids: Iterable[int]) -> int:
    """Delete the notices and email choices of these recipients (their data is being erased).
    Returns how many notices."""
    ids = list(recipient_ids)
    recipient_type = _type_of(recipient_model)
    NoticePreference.objects.filter(recipient_type=recipient_type,
                                    recipient_id__in=ids).delete()
    deleted, _ = Notice.objects.filter(recipient_type=recipient_type,
                                       recipient_id__in=ids).delete()
    return deleted


@transaction.atomic
def notices_mark_read(
    *, recipient: models.Model, up_to: datetime | None = None, now: datetime | None = None
) -> int:
    """Mark the recipient's unread notices read, those created up to `up_to` (when the inbox
    was shown: one that arrived since, unseen, stays unread). Returns how many. One UPDATE; no
    audit record, as reading one's own notices decides nothing."""
    now = now or timezone.now()
    up_to = min(up_to or now, now)
    return notices_of(recipient).filter(read_at__isnull=True, created_at__lte=up_to).update(
        read_at=now)


# --- the email step (coop.tasks.notices_email) ----------------------------------------------


def _address() -> Case:
    """The recipient's email address, read in the same query as the notices, whatever the
    registered recipient models (matched by the content type's name, so no lookup is cached
    or not depending on what ran before)."""
    whens = []
    for model, email_field in RECIPIENTS.values():
        whens.append(When(
            recipient_type__app_label=model._meta.app_label,
            recipient_type__model=model._meta.model_name,
            then=Subquery(model._default_manager.filter(pk=OuterRef("recipient_id"))
                          .values(email_field)[:1]),
        ))
    return Case(*whens, default=Value(""), output_field=CharField())


def _wants_email(spec: NoticeKind) -> Exists:
    choice = NoticePreference.objects.filter(
        recipient_type=OuterRef("recipient_type"), recipient_id=OuterRef("recipient_id"),
        kind=spec.name, email=not spec.email,
    )
    return ~Exists(choice) if spec.email else Exists(choice)


def _render(spec: NoticeKind, target) -> tuple[str, str, str | None]:
    context = spec.context(target) | {"coop_name": settings.COOP_NAME,
                                      "site_url": settings.SITE_URL}
    subject_t, text_t, html_t = spec.templates
    # Plain text is not HTML: nothing in it is escaped (a title with quotes stays as typed).
    plain = Context(context, autoescape=False)
    subject = " ".join(get_template(subject_t).template.render(plain).split())
    body = get_template(text_t).template.render(plain)
    try:
        html = get_template(html_t).template.render(Context(context))
    except TemplateDoesNotExist:
        html = None
    return f"[{settings.COOP_NAME}] {subject}", body, html


def notices_email(*, task, kind: str, target_type_id: int | None, target_id: int | None) -> int:
    """Email every notice of `kind` about the target whose email has not gone out, to those
    who want it by email, in batches of BATCH: per batch one read (with the addresses) and one
    UPDATE of emailed_at, made also when a later email fails, so a retry sends only the rest.
    Returns how many went out."""
    spec = kind_of(kind)
    try:
        target = spec.load_target(target_id)
    except ObjectDoesNotExist:
        # Deleted since (a comment removed in admin): the inbox keeps the notice's title and
        # link; there is nothing left to write an email about.
        log.warning("%s: %s %s is gone; its notices are not emailed", kind, target_type_id,
                    target_id)
        return 0
    subject, body, html = _render(spec, target)
    pending = (
        Notice.objects.filter(kind=kind, target_type_id=target_type_id, target_id=target_id,
                              emailed_at=None)
        .filter(_wants_email(spec))
        .annotate(address=_address())
        .order_by("pk")
    )
    about = (f"{spec.target_model._meta.model_name} {target_id}"
             if target_id is not None else "no target")
    sent_total, after, number = 0, 0, 0
    while True:
        number += 1
        rows = list(pending.filter(pk__gt=after).values_list("pk", "address")[:BATCH])
        if not rows:
            break
        after = rows[-1][0]
        items = []
        for pk, address in rows:
            if not address:
                continue
            message = EmailMultiAlternatives(subject, body, None, [address])
            if html is not None:
                message.attach_alternative(html, "text/html")
            items.append((pk, message))
        sent = []
        try:
            for pk in mail.deliver(task, f"{kind} on {about}, batch {number}", items,
                                   noun="notice"):
                sent.append(pk)
        finally:
            if sent:
                Notice.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
        sent_total += len(sent)
        if len(rows) < BATCH:
            break
    return sent_total


# --- reading -------------------------------------------------------------------------------


def _of(recipient: models.Model) -> dict:
    # The content type by its name (a join to a small table), not by a cached lookup: a page's
    # query count must not depend on what ran before in the process.
    meta = recipient._meta.concrete_model._meta
    return {"recipient_type__app_label": meta.app_label,
            "recipient_type__model": meta.model_name, "recipient_id": recipient.pk}


def notices_of(recipient: models.Model) -> QuerySet[Notice]:
    """A person's notices, every kind, newest first (one query per page)."""
    return Notice.objects.filter(**_of(recipient)).order_by("-created_at", "-pk")


def unread_count(recipient: models.Model) -> int:
    """How many of the person's notices are unread, counted up to UNREAD_CAP + 1 only: one read
    of the (recipient, read_at) index, bounded however many have piled up."""
    unread = notices_of(recipient).filter(read_at__isnull=True).order_by()
    return unread[: UNREAD_CAP + 1].count()


def email_choices(recipient: models.Model) -> dict[str, bool]:
    """For each member kind, whether the person gets it by email (their choice, else the
    kind's default)."""
    chosen = dict(
        NoticePreference.objects.filter(**_of(recipient)).values_list("kind", "email")
    )
    return {k.name: chosen.get(k.name, k.email) for k in member_kinds()}
