"""Browser forms of the governance pages. They check the shape of the input only; the rules
(category minimums, thresholds, ballots) live in governance.services and come back as form
errors through `add_service_error`."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator

from coop import notices
from membership.forms import add_service_error  # noqa: F401 - re-exported for the views

from . import enactments, rules
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


# Which method uses which of the form's optional sections (issue #8 item 18): the page shows
# only the section of the chosen method (all of them without JavaScript), and the form ignores
# what was typed into the other one, so a hidden field can never refuse the proposal.
CHOICE_METHODS = (Method.YES_NO, Method.CONSENT)
OPTION_METHODS = (Method.APPROVAL, Method.RANKED)
CHOICE_FIELDS = ("tally_mode", "threshold")
OPTION_FIELDS = ("options", "seats")


def default_closes_at(category: Category, now: datetime | None = None) -> datetime:
    """The earliest deadline the category allows for a proposal whose discussion begins now
    (its discussion and voting floors), on the next whole hour in the cooperative's time zone:
    the form's default, which the page's script recomputes when the category changes."""
    now = timezone.localtime(now)
    earliest = now + timedelta(hours=category.min_discussion_hours + category.min_voting_hours)
    return earliest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class CategorySelect(forms.Select):
    """Each option carries its category's earliest deadline and floors in words, for the
    script that moves the default closing time and the help text with the chosen category."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        category = getattr(value, "instance", None)
        if category is not None:
            # Computed here, in the cooperative's time zone, so the script only copies it.
            option["attrs"]["data-closes-at"] = default_closes_at(category).strftime(
                "%Y-%m-%dT%H:%M")
            option["attrs"]["data-floors"] = category_floors(category)
            if enactments.may_carry(category.slug):  # the script shows the enactment's select
                option["attrs"]["data-enacts"] = "true"
        return option


def category_floors(category: Category) -> str:
    return (f"The {category.name} category needs {category.min_discussion_hours} hours of "
            f"discussion and then at least {category.min_voting_hours} hours of voting.")


class EnactmentChoices(BaseChoiceIterator):
    """The registered kinds' choices, listed when the select is first drawn and kept for that
    form: a Select reads its choices twice (once for the `required` attribute), and each form
    copies its widget, so every page lists them afresh but once. A valid POST never lists them."""

    listed = None

    def __iter__(self):
        if self.listed is None:
            self.listed = [("", "Nothing: the members decide, staff carry it out"),
                           *enactments.form_choices()]
        return iter(self.listed)

    def __copy__(self):  # the form's copy of the widget starts unlisted, whatever the original
        return type(self)()


class ProposalForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    body = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 8}))
    category = forms.ModelChoiceField(
        label="Category",
        queryset=Category.objects.order_by("slug"),
        empty_label=None,
        widget=CategorySelect,
        help_text="Each category sets the lowest quorum and threshold, and the shortest "
                  "discussion and voting periods allowed.",
    )
    # Offered by the registered kinds (issue #9; the values are the API's `enacts` objects as
    # JSON): a CharField, so that a choice gone stale since the page was shown is refused by
    # the services' check with its reason, not by the form with "not one of the choices".
    enacts = forms.CharField(
        label="What this proposal enacts",
        required=False,
        widget=forms.Select(choices=EnactmentChoices()),
        help_text="Only for the policy category: a change that takes effect by itself when "
                  "the proposal passes. Staff draft allocation policy versions in the admin.",
    )
    method = forms.ChoiceField(label="Method", choices=Method.choices, initial=Method.YES_NO)
    tally_mode = forms.ChoiceField(
        label="Tally mode",
        choices=TallyMode.choices,
        initial=TallyMode.MEMBER,
        required=False,
    )
    threshold = forms.CharField(
        label="Threshold",
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
    )
    seats = forms.IntegerField(
        label="Seats", required=False, min_value=1, help_text="How many options win."
    )
    opens_at = forms.DateTimeField(
        label="Voting opens at (optional)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Empty: you open the vote yourself once the discussion period is over. "
                  "Else the vote opens by itself at this time, which may not be before the "
                  "discussion period ends.",
    )
    closes_at = forms.DateTimeField(
        label="Voting closes at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Typed and shown in the cooperative's time zone (TIME_ZONE): say which.
        self.time_zone = timezone.get_current_timezone_name()
        if "closes_at" in self.fields:
            zone = f"In the cooperative's time zone, {self.time_zone}."
            category = self.chosen_category() if "category" in self.fields else None
            self.fields["closes_at"].help_text = (
                f"{category_floors(category)} {zone}" if category else zone)

    def chosen_category(self) -> Category | None:
        """The category the page shows as chosen (sent, else the initial one), for the help
        text beside the deadline."""
        chosen = self.data.get(self.add_prefix("category")) if self.is_bound else None
        chosen = chosen or self.initial.get("category")
        if isinstance(chosen, Category):
            return chosen
        queryset = self.fields["category"].queryset
        try:
            return queryset.get(pk=int(chosen)) if chosen else queryset.first()
        except (ValueError, TypeError, Category.DoesNotExist):
            return queryset.first()

    def clean_options(self):
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        method = data.get("method")
        unused = {*CHOICE_FIELDS} if method in OPTION_METHODS else (
            {*OPTION_FIELDS} if method in CHOICE_METHODS else set())
        for name in unused:  # nor their errors: the person does not see these fields
            self._errors.pop(name, None)
        if method in CHOICE_METHODS:
            data["options"], data["seats"] = [], None
        elif method in OPTION_METHODS:
            data["tally_mode"], data["threshold"] = TallyMode.MEMBER, ""
        if method in CHOICE_METHODS and not data.get("tally_mode"):
            data["tally_mode"] = TallyMode.MEMBER
        self._clean_enacts(data)
        return data

    def _clean_enacts(self, data):
        """Used only in a category that may carry an enactment (the page hides it in others,
        and ignores it, as it ignores the other method's section); else the services check
        it as they check the API's."""
        category, chosen = data.get("category"), data.get("enacts")
        data["enacts"] = None
        if not chosen or category is None or not enactments.may_carry(category.slug):
            self._errors.pop("enacts", None)
            return
        try:
            data["enacts"] = enactments.from_form_value(chosen)
        except ValueError:
            self.add_error("enacts", "Choose one of the listed changes, or nothing.")

    def error_summary(self) -> list[dict]:
        """Every error, in the order of the fields, with the field's label and the id to link
        to (None for an error of the whole form): the summary at the top of the page."""
        summary = [{"label": None, "id": None, "message": message}
                   for message in self.non_field_errors()]
        for field in self:
            for message in field.errors:
                summary.append({"label": field.label, "id": field.auto_id, "message": message})
        return summary


class ProposalEditForm(ProposalForm):
    """The creation form cut down to what services.proposal_update may change before voting
    opens: the text and the deadline. The method, rules and options are fixed at creation (a
    member who wants others withdraws and proposes again), so their fields are dropped."""

    EDITABLE = ("title", "body", "opens_at", "closes_at")

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


class OpenEarlyForm(forms.Form):
    """Staff open the vote before the discussion period has run only with a reason (RULES §2),
    which the proposal shows."""

    reason = forms.CharField(
        label="Reason for opening before the discussion period ends",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown on the proposal and kept in the audit trail.",
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
