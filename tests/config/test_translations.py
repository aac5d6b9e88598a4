"""Danish is the default UI language: every message must be translated and compiled."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "locale" / "da" / "LC_MESSAGES"


def test_every_danish_message_is_translated():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert len(po) > 300


def test_compiled_catalogue_matches_the_po_file():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    expected = {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries()}
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if e.msgid}
    assert compiled == expected


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext (installed by .ci/run)")
def test_po_file_holds_every_message_in_the_code(tmp_path, settings, monkeypatch):
    """Run makemessages on a scratch copy of the sources: it must find no message the .po lacks.

    makemessages writes into the `locale` folder it finds, so it runs on a copy.
    """
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    skip = shutil.ignore_patterns(
        ".*", "node_modules", "staticfiles", "media", "tests", "bench", "__pycache__", "*.sqlite3"
    )
    for name in sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if name not in {"node_modules", "staticfiles", "media", "tests", "bench"}:
            shutil.copytree(root / name, copy / name, ignore=skip)
    scratch = copy / "locale" / "da" / "LC_MESSAGES"
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command(
        "makemessages",
        locale=["da"],
        no_location=True,
        ignore_patterns=[],
        verbosity=0,
    )
    fresh = polib.pofile(str(scratch / "django.po"))
    new = sorted(e.msgid for e in fresh if not e.obsolete and not e.translated())
    assert new == [], "run `make messages` and translate these"
