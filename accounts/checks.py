"""Sign-on settings checked by `manage.py check` (and so at every start-up)."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from accounts.backends import (
    PASSWORD_LOGIN_ALL,
    PASSWORD_LOGIN_BREAK_GLASS,
    password_login_restricted,
)
from accounts.mapping import GroupMapError, configured_group_map

PASSWORD_LOGIN_VALUES = (PASSWORD_LOGIN_ALL, PASSWORD_LOGIN_BREAK_GLASS)


@register()
def sign_on_settings(app_configs, **kwargs):
    problems: list[CheckMessage] = []
    if settings.PASSWORD_LOGIN not in PASSWORD_LOGIN_VALUES:
        problems.append(
            Error(
                f"PASSWORD_LOGIN is {settings.PASSWORD_LOGIN!r}",
                hint=f"One of {', '.join(PASSWORD_LOGIN_VALUES)}.",
                id="accounts.E001",
            )
        )
    if settings.OIDC_ISSUER and not (settings.OIDC_RP_CLIENT_ID and settings.OIDC_RP_CLIENT_SECRET):
        problems.append(
            Error(
                "OIDC_ISSUER is set without OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET",
                id="accounts.E002",
            )
        )
    try:
        configured_group_map()
    except (GroupMapError, OSError) as exc:
        problems.append(Error(f"OIDC_GROUP_MAP: {exc}", id="accounts.E003"))
    if password_login_restricted() and not settings.OIDC_ISSUER:
        problems.append(
            Warning(
                "PASSWORD_LOGIN is break-glass but sign-on is not configured",
                hint="Only superusers and PASSWORD_LOGIN_USERS can log in at all.",
                id="accounts.W001",
            )
        )
    return problems


@register(deploy=True)
def sign_on_over_https(app_configs, **kwargs):
    if settings.OIDC_ISSUER and not settings.OIDC_ISSUER.startswith("https://"):
        return [Warning("OIDC_ISSUER is not an https URL", id="accounts.W002")]
    return []
