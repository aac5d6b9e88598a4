import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """These tests match the source (English) messages; test_danish.py checks the Danish ones."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    """The user chose English (the language cookie), so responses can be matched against the
    source messages."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
