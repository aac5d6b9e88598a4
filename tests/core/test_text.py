from core.text import danish_key


def test_danish_letters_sort_last_in_danish_order():
    words = ["Åbyhøj", "Ølstykke", "Ærø", "Zealand", "aarhus", "Borgerservice", "ældre"]
    assert sorted(words, key=danish_key) == [
        "Borgerservice",
        "Zealand",
        "ældre",
        "Ærø",
        "Ølstykke",
        "Åbyhøj",
        "aarhus",
    ]


def test_accented_letters_sort_as_in_a_danish_dictionary():
    """é with e, ä with æ, ö with ø, ü with y: not after å, as a plain code-point sort does."""
    words = ["Åben", "Émile", "Ödegaard", "Müller", "Ärlig", "Eva", "Ærbar", "Ørsted", "Mylius"]
    assert sorted(words, key=danish_key) == [
        "Émile",
        "Eva",
        "Mylius",
        "Müller",  # as "Myller"
        "Ærbar",
        "Ärlig",  # as "Ærlig"
        "Ödegaard",
        "Ørsted",
        "Åben",
    ]
