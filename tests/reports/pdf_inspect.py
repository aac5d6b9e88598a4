"""Reading a rendered report PDF back (pypdf), for tests that compare two renderings."""

import io
from collections import Counter

import pypdf


def reader(content: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(content))


def struct_tags(document: pypdf.PdfReader) -> Counter:
    """How often each structure type (/S) occurs under /StructTreeRoot, by its page (/Pg)."""
    page_numbers = {page.indirect_reference.idnum: i for i, page in enumerate(document.pages)}
    counts: Counter = Counter()

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if "/S" in node:
                page = node.get("/Pg")
                counts[str(node["/S"]), page_numbers[page.idnum] if page else None] += 1
            if "/K" in node:
                walk(node["/K"])

    walk(document.trailer["/Root"]["/StructTreeRoot"].get("/K", []))
    return counts


def outline(document: pypdf.PdfReader) -> list:
    """Bookmark titles with their destination page and nesting."""

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title, document.get_destination_page_number(item)

    return list(walk(document.outline, 0))


def links(document: pypdf.PdfReader) -> list:
    """Every link annotation: its page and its target (a page number or a URI)."""
    page_numbers = {page.indirect_reference.idnum: i for i, page in enumerate(document.pages)}
    named = document.named_destinations
    found = []
    for number, page in enumerate(document.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            action = action.get_object() if action is not None else {}
            dest = annot.get("/Dest", action.get("/D"))
            if dest is None:
                found.append((number, "uri", str(action.get("/URI"))))
                continue
            dest = dest.get_object() if hasattr(dest, "get_object") else dest
            if isinstance(dest, str):
                target = document.get_destination_page_number(named[dest])
            else:
                target = page_numbers[dest[0].idnum]
            found.append((number, "page", target))
    return found


def link_annotation_tags(content: bytes) -> list[str]:
    """The structure type of the element each link annotation is tagged under, through its
    /StructParent in the parent tree (PDF/UA wants /Link for every one)."""
    import pikepdf

    def pairs(node):
        if "/Nums" in node:
            nums = node.Nums
            for index in range(0, len(nums), 2):
                yield int(nums[index]), nums[index + 1]
        for kid in node.get("/Kids", []):
            yield from pairs(kid)

    with pikepdf.open(io.BytesIO(content)) as document:
        parents = dict(pairs(document.Root.StructTreeRoot.ParentTree))
        return [
            str(parents[int(annotation.StructParent)].S)
            for page in document.pages
            for annotation in page.obj.get("/Annots", [])
            if annotation.get("/Subtype") == "/Link"
        ]
