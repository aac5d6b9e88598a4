"""Who may do what with one follow-up, answered in one place.

Views ask it which buttons to show and guard their pages with it; the services build it
again on the row they have locked and call its `require_*` methods, so a page that was
open while the round closed or the follow-up moved on is refused with the same rule and
message. Department rights come from `departments.access` (the one place they are
computed); this adds what the follow-up's state and the report's open rounds allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError
from departments.access import Access, access_for
from followups.models import FollowUp, FollowUpRound

MSG_NO_EDIT_PERMISSION = _("You cannot change this department's follow-ups.")
MSG_NO_APPROVE_PERMISSION = _("Only a manager of the department can approve or return.")
MSG_NO_OPEN_PLAN = _("There is no open action-plan round for this annual report.")
MSG_NOT_EDITABLE = _(
    "The follow-up is “%(state)s” and cannot be edited. A manager must return it first."
)
MSG_TRANSITION = _("A follow-up that is “%(state)s” cannot be %(action)s.")
MSG_ONLY_SECRETARIAT_RECORDS = _("Only the secretariat can record adopted follow-ups.")
MSG_ONLY_SECRETARIAT_RESTORES = _("Only the secretariat can restore an earlier version.")
MSG_NO_ASSIGN_PERMISSION = _("You cannot assign this department's follow-ups.")

# The words MSG_TRANSITION uses for each target state.
TRANSITION_WORDS: dict[str, Any] = {
    FollowUp.State.SUBMITTED: _("submitted"),
    FollowUp.State.APPROVED: _("approved"),
    FollowUp.State.RETURNED: _("returned"),
}

Actor = User | AnonymousUser


@dataclass(frozen=True)
class FollowUpPermissions:
    """What `access` may do with `followup` now. `rounds`: the report's rounds the caller
    already loaded (the detail page has them); otherwise the open ones are looked up once."""

    followup: FollowUp
    access: Access
    rounds: tuple[FollowUpRound, ...] | None = None

    @classmethod
    def of(
        cls, actor: Actor, followup: FollowUp, *, rounds: list[FollowUpRound] | None = None
    ) -> FollowUpPermissions:
        return cls(followup, access_for(actor), tuple(rounds) if rounds is not None else None)

    # --- the report's open rounds ----------------------------------------------------------

    @cached_property
    def _open_kinds(self) -> frozenset[str]:
        if self.rounds is not None:
            return frozenset(r.kind for r in self.rounds if r.is_open)
        return frozenset(
            FollowUpRound.objects.filter(report_id=self.followup.recommendation.report_id)
            .open()
            .values_list("kind", flat=True)
        )

    @property
    def plan_open(self) -> bool:
        return FollowUpRound.Kind.PLAN in self._open_kinds

    @property
    def status_open(self) -> bool:
        return FollowUpRound.Kind.STATUS in self._open_kinds

    # --- department rights -----------------------------------------------------------------

    @property
    def is_editor(self) -> bool:
        """A member of the follow-up's department (or the secretariat)."""
        return self.access.can_edit_department(self.followup.department_id)

    @property
    def is_approver(self) -> bool:
        """A manager of the follow-up's department (or the secretariat)."""
        return self.access.can_approve_department(self.followup.department_id)

    # --- what the pages offer --------------------------------------------------------------

    @property
    def can_edit(self) -> bool:
        return self.is_editor and self.plan_open and self.followup.is_editable

    @property
    def can_submit(self) -> bool:
        return self.can_edit

    def _approver_may_move_to(self, state: str) -> bool:
        return self.is_approver and self.plan_open and self.followup.can_move_to(state)

    @property
    def can_approve(self) -> bool:
        return self._approver_may_move_to(FollowUp.State.APPROVED)

    @property
    def can_return(self) -> bool:
        return self._approver_may_move_to(FollowUp.State.RETURNED)

    @property
    def can_move_date(self) -> bool:
        return self.is_editor and self.followup.target_date is not None

    @property
    def can_report_status(self) -> bool:
        return (
            self.is_editor and self.status_open and self.followup.state == FollowUp.State.APPROVED
        )

    @property
    def can_assign(self) -> bool:
        """Give the follow-up to a member of its department: its members (case officers and
        managers) and the secretariat, in any state and round, since who works on it may
        change after approval too (a status comes later). Not a line awaiting placement."""
        return self.is_editor and self.followup.department_id is not None

    @property
    def can_restore(self) -> bool:
        return self.access.is_secretariat

    @property
    def can_place(self) -> bool:
        return self.access.is_secretariat and self.followup.department_id is None

    # --- the same rules as refusals (views' guards, services on the locked row) -------------

    def require_editor(self) -> None:
        if not self.is_editor:
            raise PermissionDenied(MSG_NO_EDIT_PERMISSION)

    def require_approver(self) -> None:
        if not self.is_approver:
            raise PermissionDenied(MSG_NO_APPROVE_PERMISSION)

    def require_plan_open(self) -> None:
        if not self.plan_open:
            raise ServiceError(MSG_NO_OPEN_PLAN)

    def require_editable(self) -> None:
        if not self.followup.is_editable:
            raise ServiceError(MSG_NOT_EDITABLE, state=self.followup.get_state_display())

    def require_transition(self, state: str) -> None:
        if not self.followup.can_move_to(state):
            raise ServiceError(
                MSG_TRANSITION,
                state=self.followup.get_state_display(),
                action=TRANSITION_WORDS[state],
            )

    def require_role_for(self, state: str) -> None:
        """Submitting is the editor's step, approving and returning the approver's."""
        if state == FollowUp.State.SUBMITTED:
            self.require_editor()
        else:
            self.require_approver()

    def require_edit(self) -> None:
        """Write the department's answer: editor, plan round open, follow-up editable."""
        self.require_editor()
        self.require_plan_open()
        self.require_editable()

    def require_assigner(self) -> None:
        if not self.can_assign:
            raise PermissionDenied(MSG_NO_ASSIGN_PERMISSION)

    def require_placer(self) -> None:
        if not self.access.is_secretariat:
            raise PermissionDenied(MSG_ONLY_SECRETARIAT_RECORDS)

    def require_restorer(self) -> None:
        if not self.access.is_secretariat:
            raise PermissionDenied(MSG_ONLY_SECRETARIAT_RESTORES)
