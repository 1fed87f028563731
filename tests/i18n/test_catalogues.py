"""The catalogues: every string the code marks has every language, every entry is used, and a
translation keeps what the code fills in or renders (placeholders, code spans, mathematics)."""
import re
import unicodedata

import polib
import pytest

from explorer import i18n
from explorer.i18n import extract

LANGUAGES = list(i18n.languages())


@pytest.fixture(scope="module")
def used():
    messages, problems = extract.collect()
    return messages, problems


def catalogue(lang):
    return [e for e in polib.pofile(str(i18n.catalogue_path(lang))) if not e.obsolete]


def test_both_languages_are_offered_english_first():
    assert LANGUAGES[:1] == ["en"] and "zh" in LANGUAGES
    assert i18n.languages()["zh"] == "中文"


def test_no_string_is_built_before_it_is_translated(used):
    assert used[1] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_used_has_a_translation(lang, used):
    missing = extract.missing(lang)
    assert not missing, f"{lang} lacks {len(missing)}: " + "; ".join(f"{m.places[0]} {m.msgid!r}" for m in missing[:20])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalogue_entry_is_used(lang, used):
    keys = set(used[0])
    unused = [e.msgid for e in catalogue(lang) if (e.msgctxt, e.msgid) not in keys]
    assert not unused, f"{lang} holds entries no code uses: {unused[:20]}"


def test_the_template_lists_what_the_code_uses(used):
    pot = {(e.msgctxt, e.msgid) for e in polib.pofile(str(i18n.LOCALE_DIR / "explorer.pot"))}
    assert pot == set(used[0]), "run `python -m explorer.i18n extract`"


def _fields(text):
    """The names a message's .format() fills in; LaTeX braces such as W_{hh} come out too, and must stay."""
    return sorted(re.findall(r"(?<!\{)\{(\w*)\}(?!\})", text))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_placeholders_code_and_mathematics(lang):
    for entry in catalogue(lang):
        for translated in [entry.msgstr, *entry.msgstr_plural.values()]:
            if not translated:
                continue
            source = entry.msgid_plural if entry.msgid_plural and translated != entry.msgstr else entry.msgid
            allowed = set(_fields(entry.msgid)) | set(_fields(source))
            assert set(_fields(translated)) <= allowed, (entry.msgid, translated)
            assert set(_fields(entry.msgid)) <= set(_fields(translated)) | {"n"}, (entry.msgid, translated)
            assert translated.count("$") % 2 == 0 and translated.count("`") % 2 == 0, (entry.msgid, translated)
            spans = re.findall(r"`[^`]*`|\$[^$]*\$", entry.msgid)
            assert all(span in translated for span in spans), (entry.msgid, translated)  # code and maths stay
            assert re.findall(r":material/\w+:", translated) == re.findall(r":material/\w+:", entry.msgid)


def _punctuation(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_bold_markers_open_and_close_beside_full_width_punctuation(lang):
    """Markdown reads `**` as closing only after a letter, or after punctuation when a space or more punctuation
    follows: "**原因：**对" stays four literal asterisks on the page, "**原因**：对" is bold."""
    for entry in catalogue(lang):
        for translated in [entry.msgstr, *entry.msgstr_plural.values()]:
            for k, run in enumerate(re.finditer(r"\*\*", translated)):
                before = translated[run.start() - 1] if run.start() else " "
                after = translated[run.end()] if run.end() < len(translated) else " "
                inner, outer = (after, before) if k % 2 == 0 else (before, after)  # opening, then closing
                works = not inner.isspace() and (not _punctuation(inner) or outer.isspace() or _punctuation(outer))
                assert works, (entry.msgid, translated)


def test_the_language_follows_the_source_unless_a_block_overrides_it():
    chosen = {"lang": "zh"}
    i18n.set_source(lambda: chosen["lang"])
    try:
        assert i18n._("hidden state") == "隐状态"
        with i18n.use("en"):
            assert i18n._("hidden state") == "hidden state"
        chosen["lang"] = "xx"  # a language with no catalogue reads as the source language
        assert i18n.current() == "en" and i18n._("hidden state") == "hidden state"
    finally:
        i18n.set_source(None)
    assert i18n.current() == "en"


def test_an_unknown_message_reads_as_itself_in_every_language():
    with i18n.use("zh"):
        assert i18n._("a sentence no catalogue holds") == "a sentence no catalogue holds"
        assert i18n.N_("forget gate") == "forget gate"  # marked, not translated, at import time


def test_plurals_pick_the_form_by_number():
    with i18n.use("en"):
        assert i18n.ngettext("{n} layer", "{n} layers", 1) == "{n} layer"
        assert i18n.ngettext("{n} layer", "{n} layers", 2) == "{n} layers"
    with i18n.use("zh"):
        assert i18n.ngettext("{n} layer", "{n} layers", 1) == i18n.ngettext("{n} layer", "{n} layers", 3) == "{n} 层"


@pytest.mark.parametrize("header, lang", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("zh-Hans-CN", "zh"), ("zh_TW", "zh"), ("en-GB,en;q=0.9", "en"),
    ("fr-FR,fr;q=0.9,zh;q=0.5", "zh"), ("fr-FR", "en"), ("", "en"), (None, "en"),
])
def test_the_browser_language_picks_the_catalogue(header, lang):
    assert i18n.match(header) == lang


def test_the_pages_own_language_comes_before_the_websockets_list():
    """Chromium 150 sends its default Accept-Language on the WebSocket while the page speaks Chinese."""
    from explorer.app.language import preferred_languages

    assert i18n.match(preferred_languages("zh-CN", "en-US,en;q=0.9")) == "zh"
    assert i18n.match(preferred_languages("en-US", "zh-CN,zh;q=0.9")) == "en"
    assert i18n.match(preferred_languages(None, "zh-CN,zh;q=0.9")) == "zh"
    assert preferred_languages(None, None) == "" and i18n.match(preferred_languages(None, None)) == "en"


def test_extract_flags_a_formatted_string_inside_the_marker(tmp_path):
    (tmp_path / "pages").mkdir()
    bad = tmp_path / "pages" / "bad.py"
    bad.write_text('from explorer.i18n import _\nn = 3\nx = _(f"{n} steps")\ny = _("fine {n}").format(n=n)\n')
    messages, problems = extract.scan(bad, tmp_path)
    assert [m.msgid for m in messages] == ["fine {n}"]
    assert len(problems) == 1 and "bad.py:3" in problems[0]


def test_a_new_language_starts_from_the_template(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(extract, "LOCALE_DIR", tmp_path)
    path = extract.new_catalogue("fr", "Français")
    po = polib.pofile(str(path))
    assert po.metadata["X-Native-Name"] == "Français" and len(po) == 0


def test_sentences_in_a_row_take_a_space_only_after_a_western_stop():
    assert i18n.sentences(["One.", "", "Two.", None]) == "One. Two."
    assert i18n.sentences(["训练量：优化步数。", "GRU、minGRU。", "Then English."]) == \
        "训练量：优化步数。GRU、minGRU。Then English."
    assert i18n.sentences(["English first.", "然后中文。"]) == "English first. 然后中文。"
    assert i18n.sentences([]) == ""
