"""A date of birth cannot be in the future: the one validator the form and the workflow share.

Validators live in Python only; nothing changes in the database.
"""

from django.db import migrations, models

import checklists.models


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0011_text_limits_on_the_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="patient_birth_date",
            field=models.DateField(
                validators=[checklists.models.validate_birth_date], verbose_name="date of birth"
            ),
        ),
    ]
