"""Danish alphabetical order for sorting in Python: æ, ø, å come after z, in that order."""

import unicodedata

from django.db.models import Q

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
