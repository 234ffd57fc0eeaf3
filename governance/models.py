import uuid
from datetime import timedelta

from django.db import models
from django.db.models import Q

from membership.models import Member


class Method(models.TextChoices):
    YES_NO = "yes_no", "Yes / no"
    CONSENT = "consent", "Consent"
    APPROVAL = "approval", "Approval"
    RANKED = "ranked", "Ranked choice"


class TallyMode(models.TextChoices):
    MEMBER = "member", "One member, one vote"
    CLASS_WEIGHTED = "class_weighted", "Class-weighted"
    CONCURRENT = "concurrent", "Concurrent (must pass in every class)"


CHOICES_BY_METHOD = {
    Method.YES_NO: ("yes", "no", "abstain"),
    Method.CONSENT: ("agree", "abstain", "disagree", "block"),
}


class Category(models.Model):
    """Sets the floors of quorum, threshold, discussion and voting period; a proposal may only
    tighten them. They are copied onto each proposal at its creation (RULES §2), so a change
    here applies to proposals made afterwards."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    min_quorum_percent = models.PositiveSmallIntegerField(default=10)
    min_threshold = models.CharField(max_length=20, default="majority")
    min_discussion_hours = models.PositiveIntegerField(
        default=48, help_text="How long a proposal is discussed before voting may open.")
    min_voting_hours = models.PositiveIntegerField(default=72)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_quorum_percent__lte=100), name="category_quorum_lte_100"
            ),
        ]

    def __str__(self):
        return self.name


class Proposal(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        DISCUSSION = "discussion", "Discussion"
        VOTING = "voting", "Voting"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        CANCELLED = "cancelled", "Cancelled"

    class Outcome(models.TextChoices):
        PASSED = "passed", "Passed"
        REJECTED = "rejected", "Rejected"
        NO_QUORUM = "no_quorum", "No quorum"

    class Implementation(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        # A decision that changes nothing to be carried out (a statement of position, say):
        # marked so by staff, it never counts as lagging (RULES §5, `implementation_lag`).
        NOT_NEEDED = "not_needed", "Needs no implementation"

    class Enactment(models.TextChoices):
        """What became of the change a proposal carries (RULES §6; governance/enactments.py)."""

        NONE = "none", "No enactment"
        PENDING = "pending", "Pending"
        ENACTED = "enacted", "Enacted"
        NOT_ENACTED = "not_enacted", "Not enacted"  # closed otherwise than passed, or withdrawn
        FAILED = "failed", "Failed"

    title = models.CharField(max_length=200)
    body = models.TextField()
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="proposals")
    author = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )
    created_by_key = models.CharField(
        max_length=120, blank=True, help_text="The partner key that created it, if any."
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.DISCUSSION, db_index=True
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.YES_NO)
    tally_mode = models.CharField(
        max_length=16, choices=TallyMode.choices, default=TallyMode.MEMBER
    )
    threshold = models.CharField(max_length=20, default="majority")
    quorum_percent = models.PositiveSmallIntegerField()
    class_quorum_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    secret = models.BooleanField(default=False)
    early_close_allowed = models.BooleanField(default=False)
    seats = models.PositiveSmallIntegerField(default=1)
    # The category's floors as they stood when the proposal was made (RULES §2): every later
    # check (an edit, the submission, the opening) reads these, never the category, so a
    # category changed afterwards applies to later proposals only.
    min_quorum_percent = models.PositiveSmallIntegerField(default=0)
    min_threshold = models.CharField(max_length=20, default="majority")
    min_discussion_hours = models.PositiveIntegerField(default=0)
    min_voting_hours = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    discussion_at = models.DateTimeField(null=True, blank=True)
    # Before voting: when the scheduled job is to open it (optional); from the opening on:
    # when voting actually opened.
    opens_at = models.DateTimeField(null=True, blank=True)
    open_early_reason = models.TextField(
        blank=True, help_text="Why staff or a partner opened voting before the discussion "
                              "period had run (shown on the proposal).")
    closes_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    electorate_size = models.PositiveIntegerField(default=0)
    ballots_cast = models.PositiveIntegerField(default=0, help_text="Final count, set at close.")
    tie_seed = models.CharField(
        max_length=64, blank=True, help_text="Secret until the close; its hash is public."
    )
    tie_seed_hash = models.CharField(max_length=64, blank=True)
    result = models.JSONField(null=True, blank=True)
    reminders_needed = models.BooleanField(default=False)
    reminders_sent_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    cancel_reason = models.TextField(blank=True)
    outcome_statement = models.TextField(blank=True)
    implementation_status = models.CharField(
        max_length=12, choices=Implementation.choices, blank=True
    )
    implementation_started_on = models.DateField(null=True, blank=True)
    implementation_done_on = models.DateField(null=True, blank=True)
    # One enactment per proposal (RULES §6): checked at creation and at opening, frozen with
    # the text when voting opens, applied in the close's transaction when it passes.
    enactment_kind = models.CharField(
        max_length=60, blank=True, help_text="A registered kind (governance/enactments.py)."
    )
    enactment_payload = models.JSONField(null=True, blank=True)
    enactment_status = models.CharField(
        max_length=12, choices=Enactment.choices, default=Enactment.NONE
    )
    enactment_error = models.TextField(blank=True)
    enactment_description = models.JSONField(
        default=list, blank=True, help_text="The change in words as it stood at the close."
    )
    enacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "closes_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum_percent__lte=100), name="proposal_quorum_lte_100"
            ),
            models.CheckConstraint(
                condition=Q(class_quorum_percent__isnull=True) | Q(class_quorum_percent__lte=100),
                name="proposal_class_quorum_lte_100",
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="proposal_seats_gte_1"),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(outcome=""), name="closed_has_outcome"
            ),
            models.CheckConstraint(
                condition=Q(enactment_kind="", enactment_status="none")
                | (~Q(enactment_kind="") & ~Q(enactment_status="none")),
                name="enactment_kind_iff_status",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.VOTING

    @property
    def voting_started(self) -> bool:
        """Voting has opened (it may be over): `opens_at` is then when it opened."""
        return self.status in (self.Status.VOTING, self.Status.CLOSED, self.Status.CANCELLED)

    @property
    def discussion_ends_at(self):
        """When voting may open without a stated reason; None for a draft."""
        if self.discussion_at is None:
            return None
        return self.discussion_at + timedelta(hours=self.min_discussion_hours)

    @property
    def uses_options(self) -> bool:
        return self.method in (Method.APPROVAL, Method.RANKED)


class ProposalOption(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "label"], name="option_label_unique")
        ]

    def __str__(self):
        return self.label


class Elector(models.Model):
    """The electorate frozen when voting opens (the record date), and who took part.

    `voted_at` is participation only: for secret ballots nothing here says what was chosen."""

    # No index of its own: the unique (proposal, member) index serves lookups by proposal, and
    # a second, smaller index tempted PostgreSQL into scanning a fresh electorate row by row
    # (its statistics don't know the new proposal yet) for every ballot.
    # No database foreign-key constraints here: electors are only ever written by the single
    # INSERT ... SELECT of proposal_open, from the member table, while it holds the proposal's
    # lock, so every reference is valid by construction; the constraint triggers would check
    # (and KEY SHARE-lock) 100,000 member rows one by one and doubled the time to open a vote.
    # Members and proposals are never deleted (PROTECT, and no delete in admin or services).
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="electors",
                                 db_index=False, db_constraint=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    class_slug = models.CharField(max_length=50)
    vote_weight = models.PositiveIntegerField()
    voted_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="one_elector_per_member")
        ]

    def __str__(self):
        return f"Elector {self.member_id} on {self.proposal_id}"


class Ballot(models.Model):
    """The current open (non-secret) ballot of a member on a proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="ballots",
                                 db_index=False)  # the unique (proposal, member) index serves
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    class_slug = models.CharField(max_length=50)
    choice = models.CharField(max_length=10, blank=True)
    approvals = models.JSONField(default=list, blank=True)
    ranking = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    receipt = models.CharField(max_length=64)
    cast_at = models.DateTimeField()
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="one_current_ballot")
        ]

    def __str__(self):
        return f"Ballot of {self.member_id} on {self.proposal_id}"


class BallotRevision(models.Model):
    """Every open ballot ever cast, kept as history (the last one is the current Ballot)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField()
    choice = models.CharField(max_length=10, blank=True)
    approvals = models.JSONField(default=list, blank=True)
    ranking = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    cast_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "member", "revision"], name="ballot_revision_unique"
            )
        ]

    def __str__(self):
        return f"Revision {self.revision} of {self.member_id} on {self.proposal_id}"


class SecretBallot(models.Model):
    """A secret ballot: a random id, no timestamp, no member. `receipt` is an HMAC of
    (proposal, member) under the deployment's key, which lets the voter replace it and, after
    the close, find it in the published list."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="secret_ballots")
    receipt = models.CharField(max_length=64)
    class_slug = models.CharField(max_length=50)
    choice = models.CharField(max_length=10, blank=True)
    approvals = models.JSONField(default=list, blank=True)
    ranking = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "receipt"], name="one_secret_ballot_per_receipt"
            )
        ]

    def __str__(self):
        # Not the receipt: this title shows in the admin, also while the vote is open.
        return f"Secret ballot {str(self.pk)[:8]}"


class Comment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Comment {self.pk} on {self.proposal_id}"


class ImplementationUpdate(models.Model):
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="implementation_updates"
    )
    status = models.CharField(max_length=12, choices=Proposal.Implementation.choices)
    note = models.TextField(blank=True)
    on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.status} on {self.on}"
