from departments.access import access_for


def navigation(request):
    """Which main-menu entries the user's roles open (the views check access themselves)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = access_for(user)
    return {
        "show_dashboard_link": access.sees_dashboard,
        "show_import_link": access.is_secretariat,
        "show_team_link": access.is_secretariat or bool(access.manager_of),
    }
