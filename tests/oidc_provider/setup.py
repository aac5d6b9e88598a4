"""Prepare the provider's folder: database, one confidential client, users.

python -m tests.oidc_provider.setup <client_id> <client_secret> <redirect_uri> <post_logout_uri>
(with OIDC_PROVIDER_DIR and DJANGO_SETTINGS_MODULE=tests.oidc_provider.settings set).
"""

import sys

import django


def main(client_id: str, client_secret: str, redirect_uri: str, post_logout_uri: str) -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    Application.objects.create(
        name="Opfølgning",
        client_id=client_id,
        client_secret=client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=redirect_uri,
        post_logout_redirect_uris=post_logout_uri,
        skip_authorization=True,
    )
    for username in ("anne", "bo", "carl"):
        get_user_model().objects.create_user(username, password="provider-pw")


if __name__ == "__main__":
    main(*sys.argv[1:5])
