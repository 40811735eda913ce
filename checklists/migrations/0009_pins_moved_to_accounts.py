"""StaffProfile and PinFailure now belong to accounts (accounts 0001): in Django's state only.

Their tables stay as they are, under the same names; accounts 0002 moves their content types
(and so their permissions) to the accounts app.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0008_backfill_case_compliance"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="PinFailure"),
                migrations.DeleteModel(name="StaffProfile"),
            ],
            database_operations=[],
        )
    ]
