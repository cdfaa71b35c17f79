"""Every text shown to staff or citizens has a Vietnamese translation, and the compiled catalogue is current."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "sipas" / "translations" / "vi" / "LC_MESSAGES"


def _po():
    with open(CATALOG / "messages.po", "rb") as f:
        return read_po(f, locale="vi")


def test_every_extracted_message_is_translated():
    method_map = [("sipas/**.py", "python"), ("templates/**.html", "jinja2")]
    found = {msg[2] if isinstance(msg[2], str) else msg[2][0]
             for msg in extract_from_dir(str(ROOT), method_map, keywords={"_": None, "_l": None, "gettext": None,
                                                                           "lazy_gettext": None, "ngettext": (1, 2)})}
    catalog = _po()
    missing = sorted(m for m in found if not catalog.get(m) or not catalog.get(m).string)
    assert missing == []


def test_compiled_catalogue_matches_the_po_file():
    with open(CATALOG / "messages.mo", "rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == {m.id: m.string for m in _po() if m.id and m.string}


def test_citizens_are_addressed_as_ong_ba_never_ban():
    """One form of address throughout: "Ông/Bà", as the questionnaires use."""
    from pathlib import Path
    catalogue = (Path(__file__).resolve().parents[1] / "sipas/translations/vi/LC_MESSAGES/messages.po").read_text()
    strings = [line for line in catalogue.splitlines() if not line.startswith(("#", "msgid"))]
    assert not [line for line in strings if " bạn" in line.lower() or line.lower().startswith('"bạn')]


def test_the_harassment_question_matches_its_answers():
    import surveys
    for key in ("SIPAS_2640", "SIPAS_1001"):
        item = next(i for i in surveys.load(key).items if i.code == "B2")
        assert item.text.get("vi").startswith("Ông/Bà có gặp") and item.text.get("vi").endswith("?")
        assert [o.label.get("vi") for o in item.scale.options] == ["Không gặp", "Có gặp, ít", "Có gặp, nhiều"]
