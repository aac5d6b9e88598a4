"""The shared lower layer: errors, tracked saves and history, Danish text, form and admin
base classes, view helpers and database helpers. It imports no app and nothing of config."""
