"""Render our plain-text rich text: paragraphs, and lines starting with '- ' or '• ' as bullets."""

from django import template
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

BULLET_PREFIXES = ("- ", "• ", "* ", "– ")


def split_blocks(text: str) -> list[tuple[str, list[str]]]:
    """Group lines into ('p', [line]) and ('ul', [items]) blocks."""
    blocks: list[tuple[str, list[str]]] = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        bullet = next((p for p in BULLET_PREFIXES if line.startswith(p)), None)
        if bullet:
            item = line[len(bullet) :].strip()
            if blocks and blocks[-1][0] == "ul":
                blocks[-1][1].append(item)
            else:
                blocks.append(("ul", [item]))
        else:
            blocks.append(("p", [line]))
    return blocks


def render_blocks(text: str, *, bullet: str = "") -> SafeString:
    """Every piece of user text is escaped; only our own <p>/<ul>/<li> tags (and `bullet`, our
    own constant, at the start of each list item) are added."""
    parts = []
    for kind, items in split_blocks(text):
        if kind == "ul":
            inner = format_html_join("", "<li>{}{}</li>", ((bullet, item) for item in items))
            parts.append(f"<ul>{inner}</ul>")
        else:
            parts.append(f"<p>{conditional_escape(items[0])}</p>")
    # Safe: each user-supplied fragment above went through format_html/conditional_escape.
    return mark_safe("".join(parts))  # noqa: S308


@register.filter(name="richtext")
def richtext(text: str) -> SafeString:
    """Paragraphs and bulleted lists; the page's style sheet draws the bullets."""
    return render_blocks(text)


PRINTED_BULLET = "\u2022 "


@register.filter(name="report_richtext")
def report_richtext(text: str, embedded: bool = False) -> SafeString:
    """The council report's rich text (templates/reports/document/).

    In the PDF each list item starts with its bullet as text ("• "), not one drawn by a
    `::before` pseudo-element: WeasyPrint gives every pseudo-element a style, a box and a
    structure element of its own, which cost a tenth to a sixth of a section's rendering time
    (bench/FINDINGS.md, "Printed bullets"). The text and the page look as before. On screen
    (`embedded`, the preview) the design system draws the bullets, as on every other page.
    """
    return render_blocks(text) if embedded else render_blocks(text, bullet=PRINTED_BULLET)
