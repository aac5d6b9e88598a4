"""A small OpenID provider for the sign-on tests: django-oauth-toolkit with OIDC enabled.

It runs as its own Django project (these settings, its own SQLite database in a temporary
folder) in a subprocess on 127.0.0.1, started by tests/accounts/provider.py. Never part of
the product.
"""
