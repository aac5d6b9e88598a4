import pytest

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


@pytest.mark.postgres
@pytest.mark.django_db
def test_stored_search_vector_follows_writes_and_works_in_subqueries():
    """The generated column is current after an update, and a search used as a subquery (as
    the lists do) tests the subquery's own rows, not the outer query's."""
    from followups.models import FollowUp
    from recommendations.models import Recommendation
    from tests.factories import FollowUpFactory

    match = FollowUpFactory(action="Vi indfører en ny skabelon for svarbreve")
    other = FollowUpFactory(action="Intet om det")
    assert list(FollowUp.objects.search("skabeloner")) == [match]
    other.action = "Skabelonen bruges nu"
    other.save(update_fields=["action"])
    assert set(FollowUp.objects.search("skabelon")) == {match, other}

    inner = FollowUp.objects.search("svarbrev").values("pk")
    outer = FollowUp.objects.exclude(pk=match.pk).filter(pk__in=inner)
    assert 'U0."action_search"' in str(outer.query)  # the subquery's own alias
    assert list(outer) == []
    assert list(FollowUp.objects.filter(pk__in=inner)) == [match]
    with_match = Recommendation.objects.with_followup_in(FollowUp.objects.search("svarbrev"))
    assert list(with_match) == [match.recommendation]
