"""Who a command's changes are attributed to: the secretariat user named by --user, or the
saved user `import` (no password, so it cannot log in). The round commands and import_report
share it. Not to be confused with `departments.access.system_user()`, an unsaved user that
only reads (render_report's); services need a saved actor for their history rows."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from departments.access import GlobalRole, access_for
from departments.services import user_set_global_roles

SYSTEM_USERNAME = "import"


def import_user():
    """The saved user `import`, created (in the secretariat) if missing."""
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=SYSTEM_USERNAME, defaults={"first_name": "Import", "is_active": True}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if not access_for(user).is_secretariat:
            user_set_global_roles(user=user, roles={GlobalRole.SECRETARIAT}, actor=None)
    return user


def command_actor(username: str | None):
    """The active secretariat user called `username`, or without one the user `import`."""
    if not username:
        return import_user()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"Der findes ingen aktiv bruger “{username}”.")
    if not access_for(user).is_secretariat:
        raise CommandError(
            f"“{username}” er ikke i sekretariatet; kun sekretariatet kan køre kommandoen."
        )
    return user


def add_user_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--user",
        help=(
            "Username of the secretariat user the changes are attributed to "
            f"(default: the system user '{SYSTEM_USERNAME}', created if missing)."
        ),
    )
