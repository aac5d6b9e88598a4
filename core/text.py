"""Text helpers: Danish alphabetical order (æ, ø, å after z), a simple word search, and the
length limits of free text with their database constraint."""

import unicodedata
from typing import overload

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

# Free text (actions, statuses, recommendations, reasons, comments, introductions): counted in
# characters of the stored plain text, a line break as one (see normalise_newlines).
TEXT_MAX_LENGTH = 10_000
# Names, titles and the responsible person (one line).
NAME_MAX_LENGTH = 200

MSG_TEXT_TOO_LONG = _(
    "%(field)s: at most %(limit)s characters are allowed (a line break counts as one)."
)

# "{", "|" and "}" follow "z" in ASCII, so the three letters sort after every other one. As in
# a Danish dictionary, ä sorts with æ, ö with ø and ü with y; other accents are ignored
# (é with e).
_DANISH = str.maketrans({"æ": "{", "ø": "|", "å": "}", "ä": "{", "ö": "|", "ü": "y"})


def danish_key(text: str) -> str:
    """Sort key: case-insensitive, with æ < ø < å after z (as in a Danish dictionary)."""
    # Translated before decomposing: å would otherwise become a and a ring.
    folded = (text or "").lower().replace("aa", "å").translate(_DANISH)
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))


def all_words_in(field: str, text: str) -> Q:
    """The embedded database's simple text search (PostgreSQL uses full-text search): every
    word of `text` occurs in `field`, in any case. SQLite's LIKE folds only ASCII letters,
    so each word is also tried in lower, upper and capitalised form (ÆLDRE, Ældre, ældre)."""
    condition = Q()
    for word in text.split():
        any_case = Q()
        for variant in dict.fromkeys([word, word.lower(), word.upper(), word.capitalize()]):
            any_case |= Q(**{f"{field}__icontains": variant})
        condition &= any_case
    return condition


@overload
def normalise_newlines(text: str) -> str: ...
@overload
def normalise_newlines(text: None) -> None: ...
def normalise_newlines(text: str | None) -> str | None:
    """Line breaks as one character: browsers send a textarea's line breaks as CR LF but count
    them as one against its maxlength, and the stored text is counted as the user sees it."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def _too_long_message(label, limit: int) -> str:
    return str(MSG_TEXT_TOO_LONG) % {
        "field": capfirst(str(label)),
        "limit": number_format(limit, force_grouping=True),
    }


too_long_message = lazy(_too_long_message, str)


def max_length_check(
    model_name: str, field: str, label, limit: int = TEXT_MAX_LENGTH
) -> models.CheckConstraint:
    """The database's own length limit on a text column (a TextField's max_length is only the
    forms'), with the message services show when a save would break it (full_clean)."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), limit),
        name=f"{model_name}_{field}_max_length",
        violation_error_message=too_long_message(label, limit),
    )
