from config.text import danish_key


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
