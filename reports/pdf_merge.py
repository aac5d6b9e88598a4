"""Merge the tagged PDFs of a report rendered in parts into one PDF/UA document (pikepdf).

The first part (the front matter) is the base: its catalog keeps the document's title,
language, metadata (with the PDF/UA identifier), viewer preferences and mark info. Each further
part brings, in order:

- its pages, with their `StructParents` (and their link annotations' `StructParent`) moved past
  the keys already used, so the parent tree stays one number tree without clashes;
- its structure elements, hung under the base's one `Document` element;
- its parent tree entries, at the moved keys;
- its named destinations, which replace the base's of the same name (the front matter's
  contents hold each section's anchor until the section's part supplies the real one);
- its bookmarks, under the base's last top-level bookmark (the report's title), as in a
  single rendering;
- table header ids (`ID`, and the `Headers` of the cells that name them) prefixed with the
  part's number: WeasyPrint numbers them by PDF object, which repeats across parts;
- font subsets renamed with a subset tag of their own: WeasyPrint tags a font by its file, and
  different subsets in one PDF must have different tags (ISO 32000-1, 9.6.4).

Pages are copied before anything that points at them, so every reference (`Pg`, destinations,
`OBJR`) lands on the copied page: qpdf keeps one mapping per source document.
"""

from __future__ import annotations

import hashlib
import io
import string
from collections.abc import Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name, Object, String


def merge_parts(parts: list[bytes]) -> bytes:
    """One PDF from the parts' PDFs, in order (the first is the base)."""
    merge = PartsMerge(len(parts))
    try:
        for index, data in enumerate(parts):
            merge.add(index, data)
        return merge.result()
    finally:
        merge.close()


class PartsMerge:
    """The parts merged as they arrive: each is added as soon as every part before it is in,
    so that the parallel rendering (reports/pdf_parallel.py) merges the front matter and the
    first runs of sections while the last is still being written. Call `close` at the end:
    the parts' files stay open until the merged file is saved (qpdf copies their streams
    then)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._arrived: dict[int, bytes] = {}
        self._opened: list[pikepdf.Pdf] = []
        self._merger: _Merger | None = None

    def add(self, index: int, data: bytes) -> None:
        """Part `index` (0 is the base) has arrived."""
        self._arrived[index] = data
        while len(self._opened) in self._arrived:
            number = len(self._opened)
            source = pikepdf.open(io.BytesIO(self._arrived.pop(number)))
            self._opened.append(source)
            if self._merger is None:
                self._merger = _Merger(source)
            else:
                self._merger.add(source, number + 1)

    def result(self) -> bytes:
        """The merged PDF, once every part has arrived."""
        if self._merger is None or len(self._opened) != self.count:
            raise ValueError(f"{len(self._opened)} of {self.count} parts merged")
        self._merger.finish()
        out = io.BytesIO()
        self._opened[0].save(
            out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate
        )
        return out.getvalue()

    def close(self) -> None:
        for document in reversed(self._opened):
            document.close()
        self._opened = []
        self._arrived = {}


def _pairs(array: Object) -> Iterator[tuple[Object, Object]]:
    items = list(array)
    return zip(items[0::2], items[1::2], strict=True)


def _number_tree_pairs(node: Object) -> Iterator[tuple[int, Object]]:
    if "/Nums" in node:
        for key, value in _pairs(node.Nums):
            yield int(key), value
    for kid in node.get("/Kids", ()):
        yield from _number_tree_pairs(kid)


def _name_tree_pairs(node: Object) -> Iterator[tuple[bytes, Object]]:
    if "/Names" in node:
        for key, value in _pairs(node.Names):
            yield bytes(key), value
    for kid in node.get("/Kids", ()):
        yield from _name_tree_pairs(kid)


CELLS = (Name.TH, Name.TD)


def _table_cells(element: Object) -> Iterator[Object]:
    """The table cells (TH, TD) at or below a structure element; what is inside a cell is
    not walked (it holds no header ids), which keeps the walk to a fraction of the tree."""
    stack = [element]
    while stack:
        current = stack.pop()
        if current.get("/S") in CELLS:
            yield current
            continue
        kids = current.get("/K")
        if kids is None:
            continue
        for kid in kids if isinstance(kids, Array) else [kids]:
            if isinstance(kid, Dictionary) and "/S" in kid:
                stack.append(kid)


def _subset_tag(tag: str, part: int) -> str:
    digest = hashlib.sha256(f"{tag}:{part}".encode()).digest()
    return "".join(string.ascii_uppercase[b % 26] for b in digest[:6])


class _Merger:
    def __init__(self, base: pikepdf.Pdf) -> None:
        self.pdf = base
        root = base.Root
        self.tree = root.StructTreeRoot
        self.document = self.tree.K[0] if isinstance(self.tree.K, Array) else self.tree.K
        self.parent_tree = self.tree.ParentTree
        nums = list(_number_tree_pairs(self.parent_tree))
        self.nums: list[tuple[int, Object]] = nums
        self.next_key = max((key for key, _v in nums), default=-1) + 1
        self.dests: dict[bytes, Object] = {}
        if "/Names" in root and "/Dests" in root.Names:
            self.dests = dict(_name_tree_pairs(root.Names.Dests))
        self.bookmarks: list[tuple[str, Object, list]] = []

    def add(self, source: pikepdf.Pdf, number: int) -> None:
        offset = self.next_key
        tree = source.Root.StructTreeRoot
        document = tree.K[0] if isinstance(tree.K, Array) else tree.K
        kids = list(document.K) if isinstance(document.K, Array) else [document.K]
        # Prepare the source in place, so that what is copied is already right.
        for kid in kids:
            del kid.P  # re-parented under the base's Document below
            for cell in _table_cells(kid):
                self._prefix_ids(cell, number)
        for page in source.pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annotation in page.obj.get("/Annots", ()):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
        self._rename_fonts(source, number)
        source_nums = list(_number_tree_pairs(tree.ParentTree))
        source_dests = []
        if "/Names" in source.Root and "/Dests" in source.Root.Names:
            source_dests = list(_name_tree_pairs(source.Root.Names.Dests))
        bookmarks = self._read_bookmarks(source)

        # Pages first: everything below refers to them.
        self.pdf.pages.extend(source.pages)
        for kid in kids:
            copied = self.pdf.copy_foreign(kid)
            copied.P = self.document
            self.document.K.append(copied)
        values = self._copy_all(source, [value for _key, value in source_nums])
        for (key, _value), copied in zip(source_nums, values, strict=True):
            self.nums.append((key + offset, copied))
        self.next_key = max((key for key, _v in self.nums), default=-1) + 1
        copied_dests = self._copy_all(source, [destination for _name, destination in source_dests])
        for (name, _destination), copied in zip(source_dests, copied_dests, strict=True):
            self.dests[name] = copied
        self.bookmarks.extend(self._copy_bookmarks(bookmarks))

    def finish(self) -> None:
        self.nums.sort(key=lambda pair: pair[0])
        flat = Array()
        for key, value in self.nums:
            flat.append(key)
            flat.append(value)
        self.parent_tree.Nums = flat
        if "/Kids" in self.parent_tree:
            del self.parent_tree.Kids
        self.tree.ParentTreeNextKey = self.next_key
        if self.dests:
            names = Array()
            for name in sorted(self.dests):
                names.append(String(name))
                names.append(self.dests[name])
            if "/Names" not in self.pdf.Root:
                self.pdf.Root.Names = Dictionary()
            self.pdf.Root.Names.Dests = self.pdf.make_indirect(Dictionary(Names=names))
        if self.bookmarks:
            with self.pdf.open_outline() as outline:
                parent = outline.root[-1].children if outline.root else outline.root
                parent.extend(self._outline_items(self.bookmarks))

    # --- helpers ---------------------------------------------------------------------------

    def _copy_all(self, source: pikepdf.Pdf, values: list[Object]) -> list[Object]:
        """Source objects in the base, copied by qpdf in one go (through an indirect array)."""
        if not values:
            return []
        return list(self.pdf.copy_foreign(source.make_indirect(Array(values))))

    def _copy(self, value: Object) -> Object:
        """A source object in the base: indirect ones through qpdf's copier (one mapping per
        source, so pages already copied are reused), direct containers member by member."""
        if isinstance(value, Array | Dictionary) and not value.is_indirect:
            if isinstance(value, Array):
                return Array([self._copy(item) for item in value])
            return Dictionary({key: self._copy(item) for key, item in value.items()})
        if isinstance(value, Object) and value.is_indirect:
            return self.pdf.copy_foreign(value)
        return value

    @staticmethod
    def _prefix_ids(element: Object, number: int) -> None:
        prefix = f"p{number}-".encode()
        if "/ID" in element:
            element.ID = String(prefix + bytes(element.ID))
        attributes = element.get("/A")
        for attribute in attributes if isinstance(attributes, Array) else [attributes]:
            if isinstance(attribute, Dictionary) and "/Headers" in attribute:
                attribute.Headers = Array(
                    [String(prefix + bytes(header)) for header in attribute.Headers]
                )

    @staticmethod
    def _rename_fonts(source: pikepdf.Pdf, number: int) -> None:
        """Give each font subset of the source a subset tag of its own (once per font object:
        WeasyPrint's pages share one resources dictionary)."""
        done: set[tuple[int, int]] = set()

        def fonts_of(resources: Object) -> Iterator[Object]:
            yield from resources.get("/Font", {}).values()
            for xobject in resources.get("/XObject", {}).values():
                if "/Resources" in xobject:
                    yield from fonts_of(xobject.Resources)

        for page in source.pages:
            for font in fonts_of(page.obj.get("/Resources", Dictionary())):
                if font.is_indirect and font.objgen in done:
                    continue
                done.add(font.objgen)
                for item in [font, *font.get("/DescendantFonts", [])]:
                    tag, plus, rest = str(item.get("/BaseFont", "")).lstrip("/").partition("+")
                    if not plus or len(tag) != 6:
                        continue
                    renamed = Name(f"/{_subset_tag(tag, number)}+{rest}")
                    item.BaseFont = renamed
                    descriptor = item.get("/FontDescriptor")
                    if descriptor is not None and "/FontName" in descriptor:
                        descriptor.FontName = renamed

    @staticmethod
    def _read_bookmarks(source: pikepdf.Pdf) -> list[tuple[str, Object, list]]:
        def read(items) -> list[tuple[str, Object, list]]:
            return [(item.title, item.destination, read(item.children)) for item in items]

        with source.open_outline() as outline:
            return read(outline.root)

    def _copy_bookmarks(self, bookmarks: list) -> list[tuple[str, Object, list]]:
        return [
            (title, self._copy(destination), self._copy_bookmarks(children))
            for title, destination, children in bookmarks
        ]

    def _outline_items(self, bookmarks: list) -> list[pikepdf.OutlineItem]:
        items = []
        for title, destination, children in bookmarks:
            item = pikepdf.OutlineItem(title, destination)
            item.children.extend(self._outline_items(children))
            items.append(item)
        return items
