"""Each case names the version of its procedure that its steps were copied from: here the
column, empty; 0028 fills it; 0029 makes it required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0028_access_actions_api"),
        ("procedures", "0009_steps_belong_to_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="procedure_version",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="procedures.procedureversion",
            ),
        ),
    ]
