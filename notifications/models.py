"""What was (or is about to be) mailed to whom, what each user wants mailed, and when a
round's reminders go out."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from followups.models import FollowUpRound


class Kind(models.TextChoices):
    """What a notification is about; each user can switch each kind off."""

    ROUND_OPENED = "round_opened", _("A round opens for your department")
    DEADLINE_SOON = "deadline_soon", _("A round's deadline is near")
    OVERDUE = "overdue", _("Your department's answers are overdue")
    OVERDUE_SECRETARIAT = "overdue_secretariat", _("Answers overdue beyond the grace period")
    SUBMITTED = "submitted", _("A follow-up awaits your approval")
    RETURNED = "returned", _("A follow-up is returned")
    APPROVED = "approved", _("A follow-up is approved")
    MENTIONED = "mentioned", _("Someone mentions you in a comment")
    PLACED = "placed", _("A follow-up is placed with your department")
    ASSIGNED = "assigned", _("A follow-up is assigned to you")


# The kinds the round page's record and its button are about.
REMINDER_KINDS = (Kind.DEADLINE_SOON, Kind.OVERDUE, Kind.OVERDUE_SECRETARIAT)


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unsent(self) -> NotificationQuerySet:
        return self.filter(sent_at__isnull=True)

    def sent(self) -> NotificationQuerySet:
        return self.filter(sent_at__isnull=False)

    def reminders(self) -> NotificationQuerySet:
        return self.filter(kind__in=REMINDER_KINDS)


class Notification(models.Model):
    """One thing to tell one user; mailed (with the user's other notifications of its kind)
    by the sending task, which sets `sent_at`. A log, not domain data: no history."""

    Kind = Kind

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text=_("The user the e-mail goes to."),
    )
    kind = models.CharField(
        _("kind"),
        max_length=30,
        choices=Kind.choices,
        help_text=_("What the notification is about."),
    )
    subject = models.CharField(
        _("subject"), max_length=200, help_text=_("One line saying what happened.")
    )
    body = models.TextField(_("text"), blank=True, help_text=_("The text of the item."))
    url = models.CharField(
        _("link"), max_length=500, help_text=_("The path of the page the item is about.")
    )
    key = models.CharField(
        _("key"),
        max_length=200,
        help_text=_("What was notified, so that the same thing is never recorded twice."),
    )
    round = models.ForeignKey(
        FollowUpRound,
        verbose_name=_("round"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The round a reminder is about."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The department a reminder is about."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(
        _("sent at"), null=True, blank=True, help_text=_("Empty until the e-mail is sent.")
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "kind", "sent_at"], name="notification_mailbox"),
            models.Index(fields=["round", "department", "kind"], name="notification_round"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_unique_key"),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="notification_valid_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} – {self.subject}"

    def get_absolute_url(self) -> str:
        return self.url


class Preference(models.Model):
    """A kind of notification a user has switched off (or on again); no row: on."""

    Kind = Kind

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        help_text=_("The user the choice belongs to."),
    )
    kind = models.CharField(
        _("kind"), max_length=30, choices=Kind.choices, help_text=_("The kind of e-mail.")
    )
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("Whether the user gets e-mails of this kind.")
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_unique_kind"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="preference_valid_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_kind_display()}: {self.enabled}"


def parse_days_before(value: str) -> list[int]:
    """'7,1' → [7, 1]: the days before the deadline a reminder goes out (largest first)."""
    days = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 0 <= int(part) <= 365:
            raise ValidationError(
                _("Write whole numbers of days from 0 to 365, separated by commas, e.g. 7,1."),
                code="invalid",
            )
        days.add(int(part))
    return sorted(days, reverse=True)


def validate_days_before(value: str) -> None:
    parse_days_before(value)


class RoundReminderPlan(models.Model):
    """When a round's reminders go out; made with the defaults the first time it is needed."""

    round = models.OneToOneField(
        FollowUpRound,
        verbose_name=_("round"),
        on_delete=models.CASCADE,
        related_name="reminder_plan",
        help_text=_("The round the reminders are for."),
    )
    days_before = models.CharField(
        _("days before the deadline"),
        max_length=50,
        default="7,1",
        validators=[validate_days_before],
        help_text=_(
            "Case officers of departments that have not answered are reminded this many days "
            "before the deadline (comma-separated)."
        ),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=7,
        help_text=_(
            "Days after the deadline before the secretariat is told which departments are "
            "overdue (their managers are told the day after the deadline)."
        ),
    )

    class Meta:
        verbose_name = _("reminder plan")
        verbose_name_plural = _("reminder plans")
        ordering = ["round"]

    def __str__(self) -> str:
        return f"{self.round}: {self.days_before} / {self.grace_days}"

    @property
    def offsets(self) -> list[int]:
        return parse_days_before(self.days_before)
