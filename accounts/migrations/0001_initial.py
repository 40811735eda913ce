"""StaffProfile and PinFailure, moved here from checklists: in Django's state only.

Their tables were made by checklists 0003 and 0005 and keep their names (``Meta.db_table``), so
nothing is done to the database. checklists 0009 takes the models out of checklists' state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables exist from here on.
        ("checklists", "0005_pin_failure"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PinFailure",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("remote_addr", models.GenericIPAddressField()),
                        ("at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "checklists_pinfailure",
                        "indexes": [
                            models.Index(
                                fields=["remote_addr", "at"],
                                name="checklists__remote__268109_idx",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="StaffProfile",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("pin_hash", models.CharField(blank=True, max_length=128)),
                        ("pin_failures", models.PositiveSmallIntegerField(default=0)),
                        ("pin_locked_until", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="staff_profile",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "checklists_staffprofile"},
                ),
            ],
            database_operations=[],
        )
    ]
