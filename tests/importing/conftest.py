import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """These tests match the source (English) messages; test_danish.py checks the Danish ones."""
    with translation.override("en"):
        yield
