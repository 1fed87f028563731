"""Glossary: the course's words in every language, with their symbols and the view that shows each."""
import html

import streamlit as st

from explorer import i18n
from explorer.app import draw, frame, glossary, language
from explorer.i18n import _

frame.require_frame(__file__)

st.title(_("Glossary"))
st.caption(_("Each term of the course in both languages, its symbol in the course's notation (PyTorch's name after "
             "the slash), what it means, and a view that shows it."))

# the page's own language first: a student reads down the column of the words they know
names = dict(sorted(i18n.languages().items(), key=lambda item: item[0] != i18n.current()))
widths = [2] * len(names) + [2, 5, 2]
with draw.key_figure():  # the table is the page
    head = st.columns(widths)
    columns = [*names.items(), (None, _("Symbol")), (None, _("Meaning")), (None, _("See it"))]
    for column, (lang, name) in zip(head, columns):
        column.html(f'<b lang="{lang}">{html.escape(name)}</b>' if lang else f"<b>{html.escape(name)}</b>")
    for term in glossary.TERMS:
        row = st.columns(widths, vertical_alignment="center")
        for column, lang in zip(row, names):
            with i18n.use(lang):  # each language's own word, whichever language the page is in
                column.html(f'<span lang="{lang}">{html.escape(_(term.term))}</span>')
        row[len(names)].markdown(f"${term.symbol}$")
        row[len(names) + 1].write(_(term.meaning))
        row[len(names) + 2].page_link(term.page, label=_("Open"), icon=":material/arrow_forward:",
                                      query_params={**term.params, **language.url_values()})
