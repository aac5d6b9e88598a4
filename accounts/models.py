"""Which person at the municipality's identity provider each user is."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ExternalIdentity(models.Model):
    """A user's stable identity at the provider: the issuer and its `sub` claim.

    Sign-on finds users by this pair only, never by e-mail or name, which a provider lets
    people change and which another account could share."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="external_identity",
        help_text=_("The account this provider identity signs in to."),
    )
    issuer = models.CharField(
        _("issuer"),
        max_length=255,
        help_text=_("The provider's issuer URL, exactly as in its tokens' 'iss' claim."),
    )
    subject = models.CharField(
        _("subject"),
        max_length=255,
        help_text=_("The provider's stable id of the person (the 'sub' claim)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        ordering = ["issuer", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="external_identity_unique_subject"
            ),
            models.CheckConstraint(
                condition=~Q(issuer="") & ~Q(subject=""), name="external_identity_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.subject})"
