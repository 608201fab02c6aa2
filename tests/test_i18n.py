"""Catalogues: every visitor string has a Spanish translation, and the compiled .mo is current."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from feedback.i18n import VISITOR_TEXT
from feedback.scales import DRIVER_LABELS, SCALES

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "feedback/translations/es/LC_MESSAGES/messages.po"
MO = ROOT / "feedback/translations/es/LC_MESSAGES/messages.mo"


def test_every_message_is_translated_to_spanish():
    catalog = read_po(PO.open("rb"), locale="es")
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def test_catalogue_covers_every_marked_string(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "N_",
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(pot),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    have = {m.id for m in read_po(PO.open("rb"), locale="es") if m.id}
    assert wanted - have == set(), "run `make translations` and translate the new strings"
    strings = set(VISITOR_TEXT.values()) | {label for s in SCALES.values() for label in s.labels}
    strings |= {label for pair in DRIVER_LABELS.values() for label in pair}
    assert strings <= have


def _hashable(value):
    """Plural entries have (singular, plural) ids and strings; read_mo gives them as lists."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_compiled_catalogue_matches_the_po():
    po = {_hashable(m.id): _hashable(m.string) for m in read_po(PO.open("rb"), locale="es") if m.id}
    mo = {_hashable(m.id): _hashable(m.string) for m in read_mo(io.BytesIO(MO.read_bytes())) if m.id}
    assert mo == po, "run `make translations` to recompile"
