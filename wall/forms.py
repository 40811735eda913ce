from django import forms

from accounts.devices import PAIRING_LENGTH


class PairingForm(forms.Form):
    code = forms.CharField(
        label="Code from the administrator",
        max_length=2 * PAIRING_LENGTH,  # room for the dash and spaces typed with it
        help_text="Eight letters and digits, e.g. K7PM-4QX2. It works once.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": "Type the code the administrator was given."},
    )
