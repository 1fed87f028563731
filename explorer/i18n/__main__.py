"""python -m explorer.i18n extract | check [LANG] | new LANG NAME

    extract           refresh explorer/locale/explorer.pot from the code and merge it into every catalogue
    check [LANG ...]  list the messages each catalogue leaves untranslated (exit status 1 if any)
    new LANG NAME     start a catalogue for another language, e.g. `new fr Français`, then `extract`
"""
from __future__ import annotations

import sys

from explorer import i18n
from explorer.i18n import extract as ex


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"extract", "check", "new"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "new":
        print(ex.new_catalogue(rest[0], rest[1]))
        return 0
    if command == "extract":
        for problem in ex.extract():
            print(problem)
        i18n.reload()
        print(f"{ex.LOCALE_DIR / (ex.DOMAIN + '.pot')}: {len(ex.collect()[0])} messages")
    bad = 0
    for lang in rest if command == "check" and rest else i18n.languages():
        todo = ex.missing(lang)
        bad += len(todo)
        print(f"{lang}: {len(todo)} untranslated")
        if command == "check":
            for m in todo:
                print(f"  {m.places[0][0]}:{m.places[0][1]}: {m.msgid!r}")
    return 1 if command == "check" and bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
