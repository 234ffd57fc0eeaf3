from django import forms

from .services import MAX_COMMENT

SCORES = [(5, "5 – very well"), (4, "4"), (3, "3"), (2, "2"), (1, "1 – badly")]


class PulseForm(forms.Form):
    score = forms.TypedChoiceField(choices=SCORES, coerce=int, widget=forms.RadioSelect,
                                   label="Your answer, from 1 (badly) to 5 (very well)")
    comment = forms.CharField(required=False, max_length=MAX_COMMENT,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              label="Anything to add? (optional; shown without your name)")
