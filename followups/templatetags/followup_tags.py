from django import template

register = template.Library()


@register.filter
def latest_status(followup):
    """The newest status of a follow-up, from its prefetched, deadline-ordered statuses."""
    statuses = list(followup.status_updates.all())
    return statuses[-1] if statuses else None
