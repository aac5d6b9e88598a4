"""core.events: handlers run after the commit, never for a rolled-back write, and a failing
handler neither undoes the write nor stops the others."""

import pytest
from django.db import transaction

from core import events


@pytest.fixture
def recorded(monkeypatch):
    monkeypatch.setattr(events, "_handlers", events.defaultdict(list))
    seen = []

    def handler(**payload):
        seen.append(payload)

    events.on("something", handler)
    events.on("something", handler)  # registered once
    return seen


@pytest.mark.django_db(transaction=True)
def test_handlers_run_after_the_commit_with_the_payload(recorded):
    with transaction.atomic():
        events.emit("something", x=1)
        assert recorded == []
    assert recorded == [{"x": 1}]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_notifies_nobody(recorded):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit("something", x=1)
        raise RuntimeError
    assert recorded == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_is_logged_and_the_next_runs(recorded, caplog):
    def broken(**payload):
        raise ValueError("boom")

    events._handlers["something"].insert(0, broken)
    with transaction.atomic():
        events.emit("something", x=2)
    assert recorded == [{"x": 2}]
    assert "handler broken of event something failed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_followup_services_emit_their_events(monkeypatch, plan, officer, manager, secretariat):
    from followups import services

    monkeypatch.setattr(events, "_handlers", events.defaultdict(list))
    seen = []
    for name in ("followup_submitted", "followup_approved", "followup_returned"):
        events.on(name, lambda name=name, **payload: seen.append((name, payload["followup"].pk)))
    f = services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="Vi gør det"
    )
    services.followup_submit(followup=f, actor=officer)
    services.followup_return(followup=f, actor=manager, comment="Mere konkret")
    services.followup_submit(followup=f, actor=officer)
    services.followup_approve(followup=f, actor=manager)
    assert seen == [
        ("followup_submitted", f.pk),
        ("followup_returned", f.pk),
        ("followup_submitted", f.pk),
        ("followup_approved", f.pk),
    ]


@pytest.mark.django_db(transaction=True)
def test_run_now_runs_inside_the_transaction_and_its_failure_undoes_it(recorded):
    from departments.models import Department

    events.run_now("something", x=3)
    assert recorded == [{"x": 3}]

    def broken(**payload):
        raise ValueError("boom")

    events.on("failing", broken)
    with pytest.raises(ValueError), transaction.atomic():
        Department.objects.create(name="Skal fortrydes", short_name="SF")
        events.run_now("failing")
    assert not Department.objects.filter(name="Skal fortrydes").exists()
