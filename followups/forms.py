"""Forms for writing follow-ups and statuses. Plain forms: only the listed fields are read.

Their field names are the services' keyword arguments, so a view hands `form.changes()` to
the service as it is, and a follow-up's fields are listed once (FollowUp.ANSWER_FIELDS) for the
form's initial values, the service call and the conflict page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput, DkfdsFormMixin, LongTextField
from core.text import NAME_MAX_LENGTH
from departments.access import department_members
from followups.models import ActionStatus, FollowUp, FollowUpRound
from recommendations.models import AnnualReport

MSG_DATE_IN_PAST = _("A new target date cannot be in the past.")


def _not_in_the_past(value, current):
    """A date the user sets now lies ahead; the follow-up's current date may be past."""
    if value is not None and value != current and value < timezone.localdate():
        raise forms.ValidationError(MSG_DATE_IN_PAST, code="past")
    return value


class ChangesMixin:
    """The cleaned data a service takes as keyword arguments: everything but the version
    the form was loaded with (the service's `expected_version`)."""

    cleaned_data: dict[str, Any]

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class VersionedForm(ChangesMixin, DkfdsFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MemberChoiceField(forms.ModelChoiceField):
    """A member of the department, by name."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def assignee_field() -> MemberChoiceField:
    """The members of a follow-up's department to choose from; the queryset is the
    follow-up's (`limit_assignees`)."""
    return MemberChoiceField(
        label=_("Assigned to"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Not assigned"),
        help_text=_(
            "The member of the department who answers for the follow-up. It appears first "
            "on their start page."
        ),
    )


def assignee_choices(followup: FollowUp | None):
    """The members of the follow-up's department, and its current assignee, who may have
    left it meanwhile and can be kept (followup_update refuses anyone else)."""
    if followup is None:
        return get_user_model().objects.none()
    members = department_members(followup.department_id)
    if followup.assignee_id is None:
        return members
    return (
        get_user_model()
        .objects.filter(Q(pk__in=members.values("pk")) | Q(pk=followup.assignee_id))
        .order_by("first_name", "last_name", "username")
    )


def limit_assignees(form: forms.Form, followup: FollowUp | None) -> None:
    field = cast(forms.ModelChoiceField, form.fields["assignee"])
    field.queryset = assignee_choices(followup)


class FollowUpForm(VersionedForm):
    # The follow-up's own fields the department writes (target_date_reason only explains a
    # move of the date and is not stored on the follow-up).
    FIELDS = FollowUp.ANSWER_FIELDS

    action = LongTextField(
        label=_("Follow-up – what will we do?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("One action per line; start a line with '- ' to make a bullet."),
    )
    responsible = forms.CharField(
        label=_("Responsible"),
        max_length=NAME_MAX_LENGTH,
        required=False,
        help_text=_("Person or team responsible for the action."),
    )
    assignee = assignee_field()
    target_date = forms.DateField(label=_("Target date"), required=False, widget=DateInput)
    target_date_reason = LongTextField(
        label=_("Reason for moving the target date"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when an existing target date is moved later."),
    )

    def __init__(
        self,
        *args: Any,
        followup: FollowUp | None = None,
        current_date=None,
        clashes: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        # The follow-up's target date now: keeping it is fine even when it has passed. Set
        # first: the design-system mixin validates a bound form while it is built.
        self.current_date = current_date
        if followup is not None and current_date is None:
            self.current_date = followup.target_date
        self.followup = followup
        super().__init__(*args, **kwargs)
        # After a conflict: for each field both users changed, which version to keep.
        for name in clashes:
            self.fields[f"keep_{name}"] = forms.ChoiceField(
                label=_("Keep for “%(field)s”") % {"field": self.fields[name].label},
                choices=[("mine", _("My version")), ("theirs", _("The saved version"))],
                initial="mine",
                widget=forms.RadioSelect,
            )
        if clashes:
            self._errors = None  # validated again with the choices (the mixin validated early)

    def prepare_fields(self) -> None:
        limit_assignees(self, self.followup)

    @classmethod
    def clashes_in(cls, data) -> tuple[str, ...]:
        """The fields a posted conflict form asks to choose for."""
        return tuple(name for name in cls.FIELDS if f"keep_{name}" in data)

    def kept_theirs(self) -> list[str]:
        return [name for name in self.FIELDS if self.cleaned_data.get(f"keep_{name}") == "theirs"]

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in super().changes().items() if not k.startswith("keep_")}

    def clean_target_date(self):
        return _not_in_the_past(self.cleaned_data.get("target_date"), self.current_date)

    @classmethod
    def initial_for(
        cls, followup: FollowUp, *, clashes: tuple[str, ...] = (), **values: Any
    ) -> FollowUpForm:
        """An unbound form with the follow-up's values (or `values`) and its version."""
        initial = {name: getattr(followup, name) for name in cls.FIELDS}
        return cls(
            initial={**initial, **values, "version": followup.version},
            followup=followup,
            clashes=clashes,
        )

    def values(self) -> dict[str, Any]:
        """What the user entered in the follow-up's own fields."""
        return {name: self.cleaned_data.get(name) for name in self.FIELDS}


class AssignForm(VersionedForm):
    """Give a follow-up to a member of its department, in any state (followup_assign)."""

    assignee = assignee_field()

    def __init__(self, *args: Any, followup: FollowUp, **kwargs: Any) -> None:
        self.followup = followup
        super().__init__(*args, **kwargs)

    def prepare_fields(self) -> None:
        limit_assignees(self, self.followup)


class ReturnForm(VersionedForm):
    comment = LongTextField(
        label=_("Comment to the case officer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Explain what needs to change."),
    )


class MoveDateForm(VersionedForm):
    new_date = forms.DateField(label=_("New target date"), widget=DateInput)
    reason = LongTextField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when the date moves later. The original date stays visible."),
    )

    def clean_new_date(self):
        return _not_in_the_past(self.cleaned_data.get("new_date"), None)


class StatusForm(ChangesMixin, DkfdsFormMixin, forms.Form):
    # The status's version as the form was loaded; 0: the round had no status yet (two users
    # writing the first status at once: the second gets the conflict page).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    text = LongTextField(
        label=_("What actually happened? How do things stand now?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Required when the action was not carried out."),
    )


MSG_MEETING_BEFORE_DEADLINE = _("The committee meeting cannot be before the deadline.")
MSG_CONFIRM_PAST = _(
    "The date is in the past. Tick the box below if you are recording a past round."
)


class RoundEditForm(DkfdsFormMixin, forms.Form):
    """A round's name and dates. A deadline or meeting in the past needs an explicit yes
    (recording an earlier round for imported history is legitimate); the meeting is never
    before the deadline."""

    name = forms.CharField(label=_("Name"), max_length=150)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput)
    meeting_date = forms.DateField(label=_("Committee meeting"), required=False, widget=DateInput)
    confirm_past = forms.BooleanField(
        label=_("Yes, the dates are in the past: I am recording an earlier round"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        deadline, meeting = data.get("deadline"), data.get("meeting_date")
        if deadline and meeting and meeting < deadline:
            self.add_error("meeting_date", MSG_MEETING_BEFORE_DEADLINE)
        today = timezone.localdate()
        if not data.get("confirm_past"):
            for name in ("deadline", "meeting_date"):
                value = data.get(name)
                if value and value < today and value != self.initial.get(name):
                    self.add_error(name, MSG_CONFIRM_PAST)
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "confirm_past"}


class RoundForm(RoundEditForm):
    """A new round: its report and kind besides the name and dates."""

    field_order = ["report", "name", "kind", "deadline", "meeting_date", "confirm_past"]

    report = forms.ModelChoiceField(
        label=_("Annual report"), queryset=AnnualReport.objects.latest_first()
    )
    name = forms.CharField(
        label=_("Name"), max_length=150, help_text=_("E.g. 'Handleplan april 2027'.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=FollowUpRound.Kind.choices)
