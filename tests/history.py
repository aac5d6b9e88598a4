"""Assertions about django-simple-history rows."""

import datetime

from django.utils import timezone


def assert_one_new_history_row(obj, *, before: int, user, kind: str = "~"):
    """Exactly one history row was added for `obj`, by `user`, just now, in UTC."""
    rows = obj.history.all()
    assert rows.count() == before + 1, f"expected {before + 1} history rows, got {rows.count()}"
    latest = rows.first()
    assert latest.history_user_id == user.pk
    assert latest.history_type == kind
    assert latest.history_date.utcoffset() == datetime.timedelta(0)
    assert timezone.now() - latest.history_date < datetime.timedelta(seconds=30)
    return latest
