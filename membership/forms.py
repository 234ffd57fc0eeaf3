"""Browser forms of the membership pages. They check the shape of the input; the rules live in
membership.services, whose ServiceError is turned back into form errors by `add_service_error`."""

from django import forms

from coop.errors import ServiceError
from coop.models import User

from .models import Member, StakeholderClass


class ApplicationForm(forms.Form):
    stakeholder_class = forms.ModelChoiceField(
        queryset=StakeholderClass.objects.order_by("name"),
        label="Membership class",
        empty_label=None,
        widget=forms.RadioSelect,
    )
    shares = forms.IntegerField(
        label="Number of shares",
        min_value=1,
        help_text="Within the limits of the class you choose (see the table above).",
    )
    name = forms.CharField(label="Your name", max_length=200,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    motivation = forms.CharField(label="Why do you want to join?", required=False,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    organisation_name = forms.CharField(
        label="Organisation name (optional)", required=False, max_length=200,
        help_text="Fill this in if you apply on behalf of an organisation.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    registration_number = forms.CharField(
        label="Organisation registration number", required=False, max_length=80,
        help_text="Required for an organisation.",
    )
    referrer_number = forms.IntegerField(
        label="Member number of the member who referred you (optional)", required=False,
        min_value=1,
    )
    accept_bylaws = forms.BooleanField(
        label="I have read and accept the cooperative's bylaws",
        error_messages={"required": "You must accept the bylaws to apply."},
    )
    # The version the page showed and linked (the template writes it, not the bound value, so
    # a page shown again after the bylaws changed carries the new version); checked by
    # membership.bylaws.accepted_version and recorded on the application.
    # Not required here: a missing version is refused by that check, whose error the page
    # shows at the checkbox (a hidden field's own error would show nowhere).
    bylaws_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_referrer_number(self):
        number = self.cleaned_data.get("referrer_number")
        if number is None:
            return None
        referrer = Member.objects.filter(member_number=number).first()
        if referrer is None:
            raise forms.ValidationError("No member has this number.")
        return referrer

    # The service's error keys are the model's names; map them to this form's fields.
    SERVICE_FIELDS = {"referred_by": "referrer_number", "bylaws_version": "accept_bylaws"}


class ProfileNameForm(forms.Form):
    # Required and at most 200 characters are services.profile_update's rules, so its message
    # is the one shown; the attributes only let the browser say so before sending.
    full_name = forms.CharField(
        label="Your name", required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "required": True,
                                      "maxlength": User._meta.get_field("full_name").max_length}),
    )


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label="Search by name", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    stakeholder_class = forms.ModelChoiceField(
        queryset=StakeholderClass.objects.order_by("name"),
        label="Class",
        required=False,
        empty_label="All classes",
        to_field_name="slug",
    )


def add_service_error(form: forms.Form, error: ServiceError, field_map: dict | None = None):
    """Show a service's refusal on the form: on the fields it names, else above the form."""
    field_map = field_map or {}
    placed = False
    for key, messages in error.errors.items():
        field = field_map.get(key, key)
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
