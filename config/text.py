"""Danish alphabetical order for sorting in Python: æ, ø, å come after z, in that order."""

# "{", "|" and "}" follow "z" in ASCII, so the three letters sort after every other one.
_DANISH = str.maketrans({"æ": "{", "ø": "|", "å": "}"})


def danish_key(text: str) -> str:
    """Sort key: case-insensitive, with æ < ø < å after z (as in a Danish dictionary)."""
    folded = (text or "").lower().replace("aa", "å")
    return folded.translate(_DANISH)
