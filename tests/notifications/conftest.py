"""The shared fixtures, with e-mail addresses (nobody without one is mailed), and mail
caught by Django's locmem backend."""

import pytest

from tests import factories

SITE = "https://opf.example.dk"


@pytest.fixture(autouse=True)
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = SITE


def member(department, role: str, name: str):
    return factories.MembershipFactory(
        department=department, role=role, user__username=name, user__email=f"{name}@example.dk"
    ).user


@pytest.fixture
def secretariat(db):
    return factories.UserFactory(
        username="sekretariat", roles=["secretariat"], is_staff=True, email="sek@example.dk"
    )


@pytest.fixture
def council(db):
    return factories.UserFactory(
        username="byraad", roles=["council_member"], email="byraad@example.dk"
    )


@pytest.fixture
def officer(department):
    return member(department, "case_officer", "officer")


@pytest.fixture
def manager(department):
    return member(department, "manager", "manager")


@pytest.fixture
def other_officer(other_department):
    return member(other_department, "case_officer", "other_officer")


@pytest.fixture
def other_manager(other_department):
    return member(other_department, "manager", "other_manager")


def recipients(outbox) -> list[str]:
    return sorted(address for message in outbox for address in message.to)


def html_of(message) -> str:
    return next(body for body, mimetype in message.alternatives if mimetype == "text/html")
