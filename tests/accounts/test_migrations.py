"""StaffProfile and PinFailure moved from checklists to accounts in Django's state only."""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts import pins, roles
from accounts.models import PinFailure, StaffProfile

BEFORE_THE_MOVE = [("checklists", "0008_backfill_case_compliance"), ("accounts", None)]


def migrate(targets: list[tuple[str, str | None]] | None = None) -> None:
    """Migrate to ``targets``, or else to the latest migrations of every app."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def content_type_ids(app_label: str) -> dict[str, int]:
    rows = ContentType.objects.filter(app_label=app_label, model__in=["staffprofile", "pinfailure"])
    return dict(rows.values_list("model", "pk"))


def test_the_models_and_their_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_models_keep_their_tables():
    assert StaffProfile._meta.db_table == "checklists_staffprofile"
    assert PinFailure._meta.db_table == "checklists_pinfailure"


def permissions_of(group_name: str) -> set[str]:
    permissions = Group.objects.get(name=group_name).permissions
    return {f"{app}.{codename}" for app, codename in permissions.values_list(*PERMISSION_NAME)}


PERMISSION_NAME = ("content_type__app_label", "codename")


def test_a_database_from_before_the_move_keeps_its_pins_and_permissions(reference_data, nurse):
    pins.set_pin(user=nurse, pin="4827")
    PinFailure.objects.create(remote_addr="10.0.0.9", at=nurse.date_joined)
    ids = content_type_ids("accounts")
    change_pin = Permission.objects.get(codename="change_staffprofile").pk
    try:
        migrate(BEFORE_THE_MOVE)
        # As the database was: the content types (and so the permissions) under checklists.
        assert content_type_ids("checklists") == ids
        assert not content_type_ids("accounts")
        assert "checklists.change_staffprofile" in permissions_of(roles.ADMINISTRATOR)
    finally:
        migrate()

    assert content_type_ids("accounts") == ids
    assert not content_type_ids("checklists")
    assert Permission.objects.get(codename="change_staffprofile").pk == change_pin
    assert permissions_of(roles.ADMINISTRATOR) == roles.PERMISSIONS[roles.ADMINISTRATOR]
    pins.check_pin(user=nurse, pin="4827")
    assert PinFailure.objects.filter(remote_addr="10.0.0.9").count() == 1


def test_a_content_type_made_meanwhile_under_accounts_wins_over_the_stale_one(reference_data):
    try:
        migrate(BEFORE_THE_MOVE)
        made_meanwhile = ContentType.objects.create(app_label="accounts", model="staffprofile")
    finally:
        migrate()

    assert content_type_ids("accounts")["staffprofile"] == made_meanwhile.pk
    assert not content_type_ids("checklists")
    assert permissions_of(roles.ADMINISTRATOR) == roles.PERMISSIONS[roles.ADMINISTRATOR]
