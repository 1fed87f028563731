"""Your model: upload a stock torch.nn.RNN / GRU / LSTM state_dict (or Keras weights), confirm the architecture
read from its parameter names and shapes, and look inside it on every page."""
from pathlib import Path

import streamlit as st

from explorer.app import catalog, course, draw, frame, urlstate
from explorer.engine.vocab import TOKENIZERS
from explorer.i18n import _, ngettext
from explorer.zoo import keras, your_model

frame.require_frame(__file__)

LIMIT_MB = your_model.MAX_UPLOAD_BYTES // 2**20
MAX_NAME = 40
ADDED = "byom_added"  # session_state: the name of the model this page last put into the pickers
NAMED_FOR = "byom_named_for"  # session_state: the weights file the name box was last filled from
ROLE_KEY = "byom_role_{role}"  # session_state: the key the user picked for an ambiguous role
TOKENIZER = "byom_tokenizer"  # session_state: how a token model's text is split
TOKENIZER_FOR = "byom_tokenizer_for"  # session_state: the vocabulary file the tokenizer was last chosen from


def name_problem(name: str) -> str | None:
    """Why `name` cannot label a model in the pickers, or None."""
    if not name.strip():
        return _("Type a name for the model.")
    if not name.isprintable():
        return _("A model's name cannot hold control characters (a line break, a tab, a NUL).")
    if "," in name:
        return _("A model's name cannot hold a comma (links list models separated by commas).")
    if name in (st.session_state.get(catalog.USER_MODELS) or {}):
        return _("A model called {name} is already in this session; choose another name.").format(name=repr(name))
    return None


def go(page: str, **view) -> None:
    """Open `page` showing the new model: its pickers start from these session values."""
    st.session_state.update(view)
    st.switch_page(page)


def show_added() -> None:
    """The model this page last put into the pickers, with a way to each page that shows it."""
    added = st.session_state.get(ADDED)
    if not added or catalog.YOURS + added not in catalog.user_models():
        return
    picked = catalog.YOURS + added
    st.success(_("“{model}” is in the model pickers for this session.")
               .format(model=draw.plain(catalog.describe_model(picked))))
    buttons = st.columns(4)
    if buttons[0].button(_("Inspect it"), icon=":material/biotech:", key="byom_go_inspect"):
        go("pages/inspect.py", model=picked)
    if buttons[1].button(_("Let it write"), icon=":material/edit_note:", key="byom_go_generate",
                         disabled=bool(catalog.headless([picked])), help=_("Needs a head with one output per token.")):
        go("pages/generate.py", model=picked)
    if buttons[2].button(_("Compare it"), icon=":material/compare:", key="byom_go_compare"):
        go("pages/compare.py", set="custom", models=[picked])
    if buttons[3].button(_("Its gradients"), icon=":material/trending_down:", key="byom_go_gradients"):
        go("pages/gradients.py", set="custom", models=[picked])


st.title(_("Your model"))
st.caption(_("Upload the weights (state_dict) of a stock `torch.nn.RNN`, `GRU` or `LSTM`, and its vocabulary if you "
             "have one: confirm the architecture read from them, name it, and it joins the model pickers of Inspect, "
             "Generate, Compare and Gradients for this session."))
st.caption(_("Keras weights (.npz or .safetensors) of a `SimpleRNN`, `GRU` or `LSTM` are read too: see “How to export "
             "your model”."))
urlstate.set_url()  # an upload cannot travel in a link

# before an upload the uploaders are the page's point; after one, what the weights say is
uploaded = st.session_state.get("byom_weights") is not None
with draw.key_figure() if not uploaded else st.container():
    cols = st.columns(2)
    # no `type=`: Streamlit checks a file name against it before the page runs, and a name holding a NUL then
    # stops every run of the page, uploaders and all; the file's bytes say what it is
    weights = cols[0].file_uploader(_("Weights (.safetensors, .pt or .pth; Keras weights .npz; up to {limit} MB)")
                                    .format(limit=LIMIT_MB), key="byom_weights", max_upload_size=LIMIT_MB)
    vocab_file = cols[1].file_uploader(_("Vocabulary (JSON, optional)"), key="byom_vocab", max_upload_size=1)
    if weights is None:
        draw.look_at(_("Upload a weights file above (or download the example under “How to export your model” "
                       "and upload it)."))


def how_to_export() -> None:
    with st.expander(_("How to export your model, and what is accepted"), expanded=weights is None):
        st.code(your_model.EXPORT_RECIPE, language="python")
        st.markdown(_("From Keras (a `SimpleRNN`, `GRU` or `LSTM`, optionally after an `Embedding` and before a "
                      "`Dense` head; upload the .npz as the weights):"))
        st.code(keras.EXPORT_RECIPE, language="python")
        # one message per bullet: a translator sees one thing at a time
        st.markdown("\n".join("- " + line for line in (
            _("**Weights**: safetensors, or a `.pt` / `.pth` file that `torch.load(..., weights_only=True)` reads "
              "(it never unpickles anything else), up to {limit} MB.").format(limit=LIMIT_MB),
            _("**Recurrent core**: `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_*` (optional), `_reverse` for the "
              "backward direction, under any one prefix such as `rnn.`, `lstm.` or `module.`. The cell follows from "
              "the gate rows (4H LSTM, 3H GRU, H RNN). LSTMs with `proj_size` are refused."),
            _("**Optional**: an embedding (`.weight` of tokens × input size, no bias) and a per-step head "
              "(`.weight` of outputs × directions·hidden, with or without `.bias`), found by their shapes under "
              "whatever names they have (`encoder`, `embedding`, `wte`, … and `decoder`, `fc`, `lm_head`, …); "
              "tied input and output weights are recognised, saved once or twice."),
            _("**Training checkpoints**: a dict that holds the weights under `model`, `state_dict` or "
              "`model_state_dict` is read from that entry; the rest (epoch, optimizer, …) is left out."),
            _("**Vocabulary** (optional JSON): a list of characters (index = token id), `{\"itos\": [...]}`, or "
              "`{character: index}`; as many entries as the model has input tokens."),
            _("**Word-level models**: a vocabulary of words or subwords (with `<eos>`, `<unk>` entries if it has "
              "them) makes the model read tokens; you choose how the text is split."),
            _("**Keras**: kernels are transposed into torch's layout; LSTM gates i f c o are torch's i f g o, GRU "
              "gates z r h become torch's r z n. A GRU built with `reset_after=False` is refused: torch cannot "
              "compute it."))))
        cols = st.columns(2)
        cols[0].download_button(_("Example weights (a small random LSTM)"), data=lambda: your_model.example_files()[0],
                                file_name="example-lstm.safetensors", mime="application/octet-stream",
                                on_click="ignore", icon=":material/download:", key="byom_example_weights",
                                help=_("nn.Embedding(35, 16) → nn.LSTM(16, 32) → nn.Linear(32, 35), random weights "
                                       "(seed 0): its states move, its guesses are noise."))
        cols[1].download_button(_("Its vocabulary (JSON)"), data=lambda: your_model.example_files()[1],
                                file_name="example-vocab.json", mime="application/json", on_click="ignore",
                                icon=":material/download:", key="byom_example_vocab")


if weights is None:
    show_added()
    how_to_export()
    course.lesson_links(__file__)
    st.stop()

try:
    tensors = your_model.read_weights(weights.getvalue(), weights.name)
    found = your_model.infer(tensors)
except ValueError as err:
    st.error(str(err))
    how_to_export()
    st.stop()
activation = "tanh"
if found.config.cell == "rnn":  # torch.nn.RNN stores no trace of its nonlinearity
    activation = st.radio(_("Nonlinearity of this Elman RNN (the weights cannot say)"), ["tanh", "relu"],
                          key="byom_nonlinearity", horizontal=True)
# a pick made for another file's keys is not one of this file's options, and is dropped
choose = {role: st.session_state[ROLE_KEY.format(role=role)] for role, options in found.choices.items()
          if st.session_state.get(ROLE_KEY.format(role=role)) in options}
ambiguous = found.choices
if choose or activation != "tanh":
    found = your_model.infer(tensors, nonlinearity=activation, choose=choose)
for note in found.notes:
    st.info(note)

with draw.key_figure():
    st.markdown("**" + _("What the weights say") + "**")
    st.table(found.rows, hide_index=True)
    config = found.config
    look = {  # (both directions?, a head?) -> the sentence
        (False, True): ngettext("Check each line against your model: {layers} layer of {size} {cell} units, forward "
                                "only, a head of {outputs} outputs per step, {numbers} numbers in all.",
                                "Check each line against your model: {layers} layers of {size} {cell} units, "
                                "forward only, a head of {outputs} outputs per step, {numbers} numbers in all.",
                                config.num_layers),
        (True, True): ngettext("Check each line against your model: {layers} layer of {size} {cell} units, both "
                               "directions, a head of {outputs} outputs per step, {numbers} numbers in all.",
                               "Check each line against your model: {layers} layers of {size} {cell} units, both "
                               "directions, a head of {outputs} outputs per step, {numbers} numbers in all.",
                               config.num_layers),
        (False, False): ngettext("Check each line against your model: {layers} layer of {size} {cell} units, forward "
                                 "only, no head, {numbers} numbers in all.",
                                 "Check each line against your model: {layers} layers of {size} {cell} units, "
                                 "forward only, no head, {numbers} numbers in all.", config.num_layers),
        (True, False): ngettext("Check each line against your model: {layers} layer of {size} {cell} units, both "
                                "directions, no head, {numbers} numbers in all.",
                                "Check each line against your model: {layers} layers of {size} {cell} units, both "
                                "directions, no head, {numbers} numbers in all.", config.num_layers),
    }[config.bidirectional, found.has_head]
    draw.look_at(look.format(layers=config.num_layers, size=config.hidden_size, cell=config.cell.upper(),
                             outputs=config.output_size, numbers=f"{sum(t.numel() for t in tensors.values()):,}"))



def key_picker(role: str, options: tuple) -> None:
    """A choice of key for a role that more than one key fits; the next run rebuilds the model with it."""
    def label(key: str) -> str:
        return f"{key} {tuple(tensors[key].shape)}" if key else _("none: one-hot input")
    st.selectbox(_("Key for the {role}").format(role=_(your_model.role_name(role))), options, format_func=label,
                 key=ROLE_KEY.format(role=role),
                 help=_("More than one key fits this role by its shape; the model is rebuilt with the one you pick."))


st.markdown("**" + _("Which key was taken for what") + "**")
st.table(found.keys, hide_index=True)
for role, options in ambiguous.items():
    key_picker(role, options)

vocab = None
if vocab_file is not None:
    try:
        vocab = your_model.parse_vocab(vocab_file.getvalue(), found.config.input_size, vocab_file.name)
    except ValueError as err:
        st.error(str(err))
        st.stop()
    if vocab.token_level:
        if st.session_state.get(TOKENIZER_FOR) != vocab_file.name or st.session_state.get(TOKENIZER) not in TOKENIZERS:
            st.session_state[TOKENIZER] = vocab.tokenizer  # the one the vocabulary's entries suggest
            st.session_state[TOKENIZER_FOR] = vocab_file.name
        tokenizer = st.radio(_("Split the text into tokens by"), list(TOKENIZERS), key=TOKENIZER, horizontal=True,
                             format_func=lambda k: _(TOKENIZERS[k]),
                             help=_("The model reads one token per step: pick how it was split when it was trained."))
        vocab = your_model.parse_vocab(vocab_file.getvalue(), found.config.input_size, vocab_file.name,
                                       tokenizer=tokenizer)
        example = ", ".join(repr(t) for t in vocab.itos[:6])
        st.info(draw.plain(_("Your vocabulary holds words or subwords ({example}, …), so this model reads tokens, not "
                             "characters: the text is split into tokens and every figure labels its steps with them.")
                           .format(example=example)))
        unknown = repr(vocab.itos[vocab.unknown_id])
        reads = (_("Tokens it lacks are read as its unknown token {token} (token {id}).") if vocab.has_unknown_token
                 else _("Your vocabulary has no unknown token, so tokens it lacks are read as token {id} ({token}), a "
                        "real token.")).format(token=unknown, id=vocab.unknown_id)
        if vocab.end_of_line:
            reads += " " + _("A line break is read as {token}.").format(token=repr(vocab.end_of_line))
        st.caption(draw.plain(reads))
    elif not vocab.has_unknown_token:
        st.caption(_("Your vocabulary has no unknown token, so characters it lacks are read as token 0 ({char}).")
                   .format(char=repr(vocab.itos[0])))
else:
    st.info(_("No vocabulary: {note}. Upload a JSON vocabulary to read real text.")
            .format(note=_(your_model.STANDIN_NOTE)))

if st.session_state.get(NAMED_FOR) != weights.name:  # a new file suggests its own name; typing is kept otherwise
    st.session_state["byom_name"] = "".join(ch for ch in Path(weights.name).stem if ch.isprintable())[:MAX_NAME]
    st.session_state[NAMED_FOR] = weights.name
name = st.text_input(_("Name in the pickers"), key="byom_name", max_chars=MAX_NAME)
if st.button(_("Use this model"), type="primary", key="byom_use", icon=":material/check:"):
    problem = name_problem(name)
    if problem:
        st.error(problem)
    else:
        model = your_model.build(found, vocab, source=weights.name)
        st.session_state.setdefault(catalog.USER_MODELS, {})[name] = model
        st.session_state[ADDED] = name
show_added()
how_to_export()
course.lesson_links(__file__)
