"""RecordAccess now belongs to checklists (checklists 0016): in Django's state only. Its table,
``review_recordaccess``, stays as it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0002_access_log_append_only_on_postgresql"),
        ("checklists", "0016_record_access_from_review"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RecordAccess")],
            database_operations=[],
        )
    ]
