"""The form that takes the day's theatre list as a file (``checklists.schedule_import``)."""

from django import forms
from django.core.files.uploadedfile import UploadedFile

from checklists.schedule_import import HEADER

# A day's list for a large hospital is some hundreds of rows of about 150 bytes; a file far
# larger than that is not a theatre list.
MAX_LIST_BYTES = 2 * 1024 * 1024


class ScheduleUploadForm(forms.Form):
    file = forms.FileField(
        label="Theatre list file",
        help_text=(
            f"A CSV file whose first line reads {HEADER}, or a FHIR Bundle of Appointments "
            "(a .json file), exported from the scheduling system."
        ),
        error_messages={
            "required": "Choose the theatre list file to import.",
            "empty": "That file is empty: export the theatre list again.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,text/csv,application/json"}),
    )

    def clean_file(self) -> UploadedFile:
        file = self.cleaned_data["file"]
        if file.size > MAX_LIST_BYTES:
            raise forms.ValidationError(
                f"That file holds {file.size // 1024} KB: a theatre list is far smaller "
                f"(at most {MAX_LIST_BYTES // 1024 // 1024} MB). Check it is the right file."
            )
        return file

    def is_bundle(self) -> bool:
        """A FHIR Bundle (JSON) rather than a CSV: by its name, else by its first character."""
        file = self.cleaned_data["file"]
        if file.name.lower().endswith(".json"):
            return True
        file.seek(0)
        start = file.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        file.seek(0)
        return start.startswith(b"{")
