"""Browser forms of the governance pages. They check the shape of the input only; the rules
(category minimums, thresholds, ballots) live in governance.services and come back as form
errors through `add_service_error`."""

from django import forms

from coop import notices
from membership.forms import add_service_error  # noqa: F401 - re-exported for the views

from . import rules
from .models import Category, Method, Proposal, TallyMode

ORDINALS = ("1st", "2nd", "3rd")


def ordinal(n: int) -> str:
    return ORDINALS[n - 1] if n <= len(ORDINALS) else f"{n}th"


class ProposalFilterForm(forms.Form):
    SHOW = (
        ("", "All proposals"),
        ("my_vote", "Open for my vote"),
        ("my_voted", "Voted"),
        ("discussion", "In discussion"),
        ("voting", "Voting"),
        ("closed", "Closed"),
    )
    show = forms.ChoiceField(label="Show", choices=SHOW, required=False)


class ProposalForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 8}))
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("slug"),
        empty_label=None,
        help_text="Each category sets the lowest quorum, threshold and voting period allowed.",
    )
    method = forms.ChoiceField(choices=Method.choices, initial=Method.YES_NO)
    tally_mode = forms.ChoiceField(
        label="Tally mode",
        choices=TallyMode.choices,
        initial=TallyMode.MEMBER,
        help_text="Approval and ranked votes are always one member, one vote.",
    )
    threshold = forms.CharField(
        max_length=20,
        required=False,
        help_text='"majority" or a fraction such as "2/3". Empty: the category\'s minimum.',
    )
    quorum_percent = forms.IntegerField(
        label="Quorum (%)",
        required=False,
        min_value=0,
        max_value=100,
        help_text="Empty: the category's minimum.",
    )
    class_quorum_percent = forms.IntegerField(
        label="Quorum inside every class (%)", required=False, min_value=0, max_value=100
    )
    secret = forms.BooleanField(label="Secret ballot", required=False)
    early_close_allowed = forms.BooleanField(
        label="Staff may close the vote before its deadline", required=False
    )
    options = forms.CharField(
        label="Options (one per line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Approval and ranked votes only.",
    )
    seats = forms.IntegerField(
        required=False, min_value=1, help_text="Approval and ranked votes: how many win."
    )
    closes_at = forms.DateTimeField(
        label="Voting closes at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_options(self):
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]


class ProposalEditForm(ProposalForm):
    """The creation form cut down to what services.proposal_update may change before voting
    opens: the text and the deadline. The method, rules and options are fixed at creation (a
    member who wants others withdraws and proposes again), so their fields are dropped."""

    EDITABLE = ("title", "body", "closes_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in [name for name in self.fields if name not in self.EDITABLE]:
            del self.fields[name]


class MarkReadForm(forms.Form):
    """The inbox's "Mark all as read": up to the moment the inbox was shown, so that a
    notification that arrived in the meantime (unseen) stays unread."""

    up_to = forms.DateTimeField(widget=forms.HiddenInput)


class NoticeEmailForm(forms.Form):
    """One checkbox per kind of notice a member may get: by email too, or in the inbox only."""

    def __init__(self, *args, choices: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for name, on in choices.items():
            self.fields[name] = forms.BooleanField(
                label=notices.kind_of(name).label, required=False, initial=on
            )

    def chosen(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in self.fields}


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling", widget=forms.Textarea(attrs={"rows": 2})
    )


class StatementForm(forms.Form):
    statement = forms.CharField(
        label="Outcome statement", widget=forms.Textarea(attrs={"rows": 3})
    )


class ImplementationForm(forms.Form):
    status = forms.ChoiceField(choices=rules.IMPLEMENTATION_STEPS)
    on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- ballots ------------------------------------------------------------------------------


class BallotForm(forms.Form):
    """One form for the four methods: the fields that do not belong to the method are dropped.

    Its `cast_kwargs()` are the arguments of services.ballot_cast."""

    def __init__(self, *args, proposal: Proposal, options: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        self.option_labels = {option.pk: option.label for option in options}
        option_choices = [(option.pk, option.label) for option in options]
        if proposal.method == Method.YES_NO:
            self.fields["choice"] = forms.ChoiceField(
                label="Your vote",
                choices=rules.ballot_choices(Method.YES_NO),
                widget=forms.RadioSelect,
            )
        elif proposal.method == Method.CONSENT:
            self.fields["choice"] = forms.ChoiceField(
                label="Your position",
                choices=rules.ballot_choices(Method.CONSENT),
                widget=forms.RadioSelect,
            )
            self.fields["reason"] = forms.CharField(
                label="Reason (required for a block)",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        elif proposal.method == Method.APPROVAL:
            self.fields["approvals"] = forms.TypedMultipleChoiceField(
                label="The options you approve",
                choices=option_choices,
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text="Approve as many as you like; approving none is an abstention.",
            )
        else:
            blank = [("", "(not ranked)")]
            for rank in range(1, len(options) + 1):
                self.fields[f"rank_{rank}"] = forms.TypedChoiceField(
                    label=f"{ordinal(rank)} choice",
                    choices=blank + option_choices,
                    coerce=int,
                    empty_value=None,
                    required=False,
                )

    @property
    def rank_fields(self):
        return [self[name] for name in self.fields if name.startswith("rank_")]

    def clean(self):
        data = super().clean()
        if self.proposal.method == Method.RANKED:
            ranking = [data.get(f"rank_{n}") for n in range(1, len(self.rank_fields) + 1)]
            ranking = [option for option in ranking if option is not None]
            seen = set()
            for option in ranking:
                if option in seen:
                    raise forms.ValidationError(
                        f"You ranked “{self.option_labels[option]}” more than once: "
                        "give each option at most one place."
                    )
                seen.add(option)
            data["ranking"] = ranking
        if (
            self.proposal.method == Method.CONSENT
            and data.get("choice") == "block"
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", "A block needs a reason: say why you block.")
        return data

    def cast_kwargs(self) -> dict:
        data = self.cleaned_data
        if self.proposal.method == Method.YES_NO:
            return {"choice": data["choice"]}
        if self.proposal.method == Method.CONSENT:
            return {"choice": data["choice"], "reason": data.get("reason", "")}
        if self.proposal.method == Method.APPROVAL:
            return {"approvals": data["approvals"]}
        return {"ranking": data["ranking"]}

    # The service names its fields after the API; the ranked form has no single "ranking" field.
    SERVICE_FIELDS = {"ranking": None, "approvals": "approvals", "choice": "choice"}
