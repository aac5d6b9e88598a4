"""The worker's part: mail what was recorded (django-tasks; at once in development)."""

from django_tasks import task

from notifications.services import notifications_send


@task()
def send_notifications() -> int:
    """Mail the unsent notifications as daily digests; returns the e-mails sent."""
    return notifications_send()
