import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """These tests match the source (English) messages; test_danish.py checks the Danish ones."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    """Requests ask for English, so responses can be matched against the source messages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
