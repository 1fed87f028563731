"""The template and the catalogues, kept in step with the code.

`extract` reads every `_("...")`, `N_("...")`, `pgettext("ctx", "...")` and `ngettext("...", "...", n)` in
app.py, pages/ and explorer/ with ast (no code runs), writes explorer/locale/explorer.pot, and merges it
into every language's catalogue: new msgids are added untranslated (the source language's catalogue
starts them as themselves), translations of msgids that are still used are kept, and the rest are
marked obsolete (`#~`, kept for the translator's memory, never shown).
"""
from __future__ import annotations

import ast
import datetime
from dataclasses import dataclass, field
from pathlib import Path

import polib

from explorer.i18n import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE, catalogue_path, translations

ROOT = LOCALE_DIR.parent.parent  # the repository
SINGULAR = {"_", "N_", "gettext"}


@dataclass
class Message:
    msgid: str
    context: str | None = None
    plural: str | None = None
    places: list[tuple[str, int]] = field(default_factory=list)


def source_files(root: Path = ROOT) -> list[Path]:
    files = [root / "app.py", *sorted((root / "pages").glob("*.py")), *sorted((root / "explorer").rglob("*.py"))]
    return [f for f in files if f.is_file()]


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def scan(path: Path, root: Path = ROOT) -> tuple[list[Message], list[str]]:
    """The messages one file marks, and its mistakes: a formatted string inside `_()` can never match
    a catalogue entry (format after translating: `_("{n} steps").format(n=n)`)."""
    messages, problems = [], []
    rel = str(path.relative_to(root))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), rel)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name, args = _name(node.func), node.args
        where = (rel, node.lineno)
        if name in SINGULAR:
            text = _literal(args[0])
            if text is not None:
                messages.append(Message(text, places=[where]))
            elif isinstance(args[0], (ast.JoinedStr, ast.BinOp)):
                problems.append(f"{rel}:{node.lineno}: {name}() of a built string; translate a literal, then format")
        elif name == "pgettext" and len(args) >= 2:
            context, text = _literal(args[0]), _literal(args[1])
            if context is not None and text is not None:
                messages.append(Message(text, context=context, places=[where]))
        elif name == "ngettext" and len(args) >= 2:
            one, many = _literal(args[0]), _literal(args[1])
            if one is not None and many is not None:
                messages.append(Message(one, plural=many, places=[where]))
    return messages, problems


def collect(root: Path = ROOT) -> tuple[dict[tuple[str | None, str], Message], list[str]]:
    found: dict[tuple[str | None, str], Message] = {}
    problems = []
    for path in source_files(root):
        messages, wrong = scan(path, root)
        problems += wrong
        for m in messages:
            known = found.setdefault((m.context, m.msgid), Message(m.msgid, m.context, m.plural))
            known.places += m.places
            known.plural = known.plural or m.plural
    return found, problems


def _header(lang: str | None) -> dict:
    meta = {
        "Project-Id-Version": "RNN Explorer",
        "POT-Creation-Date": datetime.date.today().isoformat(),
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    if lang:
        meta["Language"] = lang
    return meta


def template(messages: dict) -> polib.POFile:
    pot = polib.POFile(wrapwidth=0)  # no wrapping: one msgid per line reads and diffs best
    pot.metadata = _header(None)
    for (context, msgid), m in sorted(messages.items(), key=lambda kv: (kv[1].places[0], kv[0][1])):
        pot.append(polib.POEntry(msgid=msgid, msgctxt=context, msgid_plural=m.plural or "",
                                 msgstr="" if not m.plural else "", msgstr_plural={0: "", 1: ""} if m.plural else {},
                                 occurrences=[(f, str(n)) for f, n in m.places]))
    return pot


def merge(pot: polib.POFile, po: polib.POFile, lang: str) -> None:
    """Bring `po` in step with `pot` in place (see the module docstring)."""
    old = {(e.msgctxt, e.msgid): e for e in po}
    po.clear()
    for t in pot:
        e = old.pop((t.msgctxt, t.msgid), None)
        if e is None:
            e = polib.POEntry(msgid=t.msgid, msgctxt=t.msgctxt, msgid_plural=t.msgid_plural)
            if lang == SOURCE_LANGUAGE:
                e.msgstr = "" if t.msgid_plural else t.msgid
                if t.msgid_plural:
                    e.msgstr_plural = {0: t.msgid, 1: t.msgid_plural}
            elif t.msgid_plural:
                e.msgstr_plural = {0: ""}
        e.obsolete = False
        e.occurrences = t.occurrences
        e.msgid_plural = t.msgid_plural
        po.append(e)
    for e in old.values():
        if e.msgstr or any(e.msgstr_plural.values()):
            e.obsolete = True
            e.occurrences = []
            po.append(e)


def extract(root: Path = ROOT) -> list[str]:
    """Write the template, merge it into every catalogue; returns the mistakes found in the code."""
    messages, problems = collect(root)
    pot = template(messages)
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    pot.save(str(LOCALE_DIR / f"{DOMAIN}.pot"))
    for path in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = path.parents[1].name
        po = polib.pofile(str(path), wrapwidth=0)
        merge(pot, po, lang)
        po.save(str(path))
    return problems


def missing(lang: str, root: Path = ROOT, only: list[Path] | None = None) -> list[Message]:
    """The messages used in the code (or in the files `only`) that `lang`'s catalogue does not translate."""
    table = translations(lang)
    if only is not None:
        found: dict = {}
        for path in only:
            for m in scan(path.resolve(), root)[0]:
                found.setdefault((m.context, m.msgid), m).places.extend(m.places)
    else:
        found = collect(root)[0]
    return [m for key, m in found.items() if key not in table]


def new_catalogue(lang: str, native_name: str) -> Path:
    """Start a language: an empty catalogue with its header; `extract` then fills in the msgids."""
    path = catalogue_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    po = polib.POFile(wrapwidth=0)
    one_form = lang in {"zh", "ja", "ko"}
    po.metadata = {**_header(lang), "X-Native-Name": native_name,
                   "Plural-Forms": "nplurals=1; plural=0;" if one_form else "nplurals=2; plural=(n != 1);"}
    po.save(str(path))
    return path
