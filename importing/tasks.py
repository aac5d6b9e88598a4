"""The import's commit as a background task: a large document takes longer than a web
request may (tens of seconds for hundreds of recommendations), so the page enqueues it and
shows its progress. Runs immediately in dev, demo and tests, in the database-backed worker
(`manage.py db_worker`) in production, which must see the same IMPORT_STAGING_DIR.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from core.errors import ConflictError, ServiceError
from importing import staging
from importing.services import file_sha256, import_commit

MSG_STAGED_FILE_GONE = _("The uploaded file is no longer available. Upload it again.")


@task()
def import_staged_document(
    *,
    token: str,
    user_id: int,
    name: str,
    sha256: str,
    year: int,
    create_departments: bool,
    fingerprint: str,
    free_status: str = "",
) -> dict:
    """Import the staged upload as previewed. Refusals (a changed plan, a conflict, a row
    that cannot be written) are results for the page to show, not task failures."""
    data = staging.load(token)
    if data is None or file_sha256(data) != sha256:
        return {"ok": False, "error": str(MSG_STAGED_FILE_GONE), "conflict": False}
    actor = get_user_model().objects.get(pk=user_id)
    try:
        result = import_commit(
            actor=actor,
            name=name,
            data=data,
            year=year,
            create_departments=create_departments,
            free_status=free_status,
            expected_fingerprint=fingerprint,
        )
    except ServiceError as exc:
        return {"ok": False, "error": exc.message, "conflict": isinstance(exc, ConflictError)}
    staging.discard(token)
    summary = result.plan.summary()
    return {
        "ok": True,
        "year": result.report.year,
        "recommendations": summary["recommendations"],
        "followups": summary["followups"],
        "unplaced": summary["unplaced"],
        "warnings": len(summary["warnings"]),
    }
