"""Input fields that take a JSON value of the type the schema says, nothing else.

DRF's CharField turns 12 into "12", IntegerField takes "12" and 12.0, BooleanField takes "yes"
and 1: the OpenAPI schema says string, integer and boolean, so a client sending anything else
has a bug the API should tell it about (a 400 naming the field) rather than guess; the schema
fuzzer (tests/api_fuzz) sends such bodies and expects them refused. Form and multipart bodies
carry only text, so they keep DRF's conversions: the check applies to JSON bodies.
"""

from django.db import models
from django.http import QueryDict
from rest_framework import serializers


class _JSONTyped:
    json_type: type

    def to_internal_value(self, data):
        from_form = isinstance(getattr(self.root, "initial_data", None), QueryDict)
        # bool is an int in Python, not in JSON.
        typed = isinstance(data, self.json_type) and (
            self.json_type is bool or not isinstance(data, bool))
        if not from_form and not typed:
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_JSONTyped, serializers.CharField):
    json_type = str

    def to_internal_value(self, data):
        # The schema's maxLength counts the text as sent; DRF would count it after trimming
        # its whitespace, and so take 2,001 characters for a field of 2,000.
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictSlugField(_JSONTyped, serializers.SlugField):
    json_type = str


class StrictIntegerField(_JSONTyped, serializers.IntegerField):
    json_type = int


class StrictBooleanField(_JSONTyped, serializers.BooleanField):
    json_type = bool


class MinorUnitsField(StrictIntegerField):
    """Money in minor units (every `_minor` field a client sends): a JSON integer, nothing else.
    "12", 12.0 or true for an amount of money is a client bug worth a 400."""

    default_error_messages = {"invalid": "Must be a whole number of minor units."}


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose text and number fields are the strict ones above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
    }
