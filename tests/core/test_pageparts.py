"""core.pageparts: the sections higher apps add to a page, in registration order."""

from core import pageparts


def test_parts_in_order_once_each_and_none_adds_nothing(monkeypatch, rf):
    monkeypatch.setattr(pageparts, "_makers", pageparts.defaultdict(list))

    def first(request, obj):
        return pageparts.PagePart("a.html", {"obj": obj})

    def nothing(request, obj):
        return None

    def second(request, obj):
        return pageparts.PagePart("b.html", {})

    for maker in (first, nothing, second, first):
        pageparts.register("page", maker)
    parts = pageparts.parts_for("page", rf.get("/"), 7)
    assert parts == [pageparts.PagePart("a.html", {"obj": 7}), pageparts.PagePart("b.html", {})]
    assert pageparts.parts_for("other", rf.get("/"), 7) == []
