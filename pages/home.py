"""Home: the path through the course, the pretrained models, and the four cells' equations."""
import streamlit as st

from explorer.app import catalog, course, frame, language, textbox
from explorer.engine import cells
from explorer.i18n import _, ngettext

frame.require_frame(__file__)
notation = language.notation()
links = language.url_values()

st.title("RNN Explorer")
st.write(_("Look inside recurrent neural networks while they read, write and learn: every hidden state, gate and "
           "cell state, computed exactly from the real `torch.nn` network, drawn character by character. "
           "Follow the course below in order; each lesson opens a prepared view, and ends with a link to the next."))

st.header(_("The course"))
with st.container(key="course_path"):
    for number, lesson in enumerate(course.LESSONS, start=1):
        # the title on a line of its own and what you will see under it: long titles stay whole at 1000 px
        st.page_link(lesson.path, label=f"{number}. {_(lesson.title)}", query_params=course.lesson_params(number - 1))
        st.caption(_(lesson.see))
st.page_link("pages/glossary.py", label=_("The course's terms in both languages: the glossary"),
             icon=":material/menu_book:", query_params=links)

st.header(_("Pretrained models"))
rows = catalog.summary_rows()
if not rows:
    st.warning(_(textbox.NO_MODELS))
else:
    def number(value):
        """Three decimals from 1 up (1.995 stays 1.995, not 2), three significant digits below (MSE 0.00941)."""
        if value is None:
            return ""
        return f"{value:.3f}" if 1 <= abs(value) < 1000 else f"{value:.3g}"

    def metric(row):
        if row.get("test") is None:
            return _("not measured")
        shown = f"{catalog.metric_name(row['metric'])} {number(row['test'])}"
        if row.get("test_longer") is not None:
            longer = number(row["test_longer"])
            if row.get("longer_times"):
                shown = _("{value}; {longer} at {times}× the training length").format(
                    value=shown, longer=longer, times=row["longer_times"])
            else:
                shown = _("{value}; {longer} at {n} characters").format(value=shown, longer=longer,
                                                                        n=row["longer_seq_len"])
        return shown

    def strongest(row):
        """The baseline with memory a model must beat: a text's n-gram, a series' seasonal forecast."""
        if row.get("ngram") is not None and row.get("ngram_order"):
            name = _("{order}-gram (Kneser-Ney)").format(order=row["ngram_order"])
        elif row.get("best_baseline") is not None:
            name = _(row["best_baseline_name"])  # the task marks these names for translation
        else:
            return ""
        return f"{name} {number(row['best_baseline'])}"

    def size(row):
        layers = ngettext("{n} layer", "{n} layers", row["layers"]).format(n=row["layers"])
        return _("{hidden} units × {layers}").format(hidden=row["hidden"], layers=layers)

    # the figures first, so the comparison that matters is on screen without scrolling the table sideways
    st.dataframe(
        [{_("model"): r["name"], _("held-out (test)"): metric(r), _("in order"): number(r.get("in_order")),
          _("strongest baseline"): strongest(r), _("without memory"): number(r.get("baseline")),
          _("task"): catalog.task_name(r["task"]), _("cell"): (r["cell"] or "").upper(), _("size"): size(r),
          _("parameters"): r["parameters"]} for r in rows],
        hide_index=True)
    st.caption(_("Held-out metrics were measured on the test split when each model was built. \"Without memory\" "
                 "is what a model with no memory scores (the unigram's bits per character, the last value repeated). "
                 "The strongest baseline is the honest bar: for the English, Python and poetry models the best "
                 "n-gram counted on the same training text (a model that needs more bits per character has learned "
                 "less than counting the last few characters), for a series the seasonal forecast. The n-gram reads "
                 "the whole test split in order, and so does the \"in order\" figure, the model's state carried "
                 "from character to character; the held-out figure averages windows of the training length (128 "
                 "characters for English and Python) that each start from a zero state."))

st.header(_("The cells"))
if notation == "course":
    st.caption(_("In the course's notation: U reads the input, W the last hidden state, b is the bias, and the output "
                 "layer is y_t = softmax(V h_t + c). PyTorch names them W_ih, W_hh and b_ih + b_hh (the sidebar's "
                 "Notation switch shows them). σ is the logistic sigmoid, ⊙ the elementwise product."))
else:
    st.caption(_("In PyTorch's own form and names (`weight_ih_l0`, gate order LSTM i f g o, GRU r z n). The course "
                 "writes U for W_ih, W for W_hh and b for b_ih + b_hh (the sidebar's Notation switch shows it). "
                 "σ is the logistic sigmoid, ⊙ the elementwise product."))
left, right = st.columns(2)
with left:
    st.subheader(_("Elman (SimpleRNN)"))
    st.latex(cells.equations(cells.elman_step, notation) + r", \qquad " + cells.NOTATIONS[notation].head)
    st.page_link("pages/inspect.py", label=_("See an Elman net read live"), icon=":material/biotech:",
                 query_params={"model": "english-rnn", **links})
    st.subheader(_("Jordan"))
    st.latex(cells.equations(cells.jordan_step, notation))
    st.caption(_("The previous *output*, not the hidden state, is fed back."))
    st.page_link("pages/jordan.py", label=_("Jordan and Elman side by side"), icon=":material/sync_alt:",
                 query_params=links)
with right:
    st.subheader("GRU")
    st.latex(cells.equations(cells.gru_step, notation))
    st.page_link("pages/inspect.py", label=_("See a GRU's gates live"), icon=":material/biotech:",
                 query_params={"model": "english-gru", **links})
    st.subheader("LSTM")
    st.latex(cells.equations(cells.lstm_step, notation))
    st.page_link("pages/inspect.py", label=_("See an LSTM's gates and cell state live"), icon=":material/biotech:",
                 query_params={"model": "english-lstm", **links})
    st.page_link("pages/generate.py", label=_("Watch an LSTM write"), icon=":material/edit_note:",
                 query_params={**course.writer_params(), **links})
