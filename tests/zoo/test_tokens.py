"""Token-level models (explorer/zoo/tokens.py, explorer/engine/vocab.TokenVocab): a word vocabulary makes an
uploaded model read tokens; a small word-level nn.Embedding + nn.LSTM + nn.Linear, saved with torch.save and
with safetensors, is traced and differentiated through the Your model path exactly as its own forward."""
import io
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save as save_safetensors
from torch import nn

import explorer
from explorer import figures
from explorer.engine.vocab import TOKENIZERS, Tokens, TokenVocab, Vocab, is_token_vocabulary
from explorer.zoo import your_model
from explorer.zoo.tokens import UploadedVocab

WORDS = ["<unk>", "<eos>", "the", "cat", "sat", "on", "mat", "a", "dog", "ran", ",", "."]
TEXT = "the cat sat on the mat"


class WordModel(nn.Module):
    """A word-level language model as people write one: embedding, LSTM, linear head."""

    def __init__(self, vocab_size=len(WORDS), emb=6, hidden=5, layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb)
        self.lstm = nn.LSTM(emb, hidden, layers)
        self.fc = nn.Linear(hidden, vocab_size)

    def forward(self, ids):  # (T,) -> (T, V)
        return self.fc(self.lstm(self.embedding(ids))[0])


def word_model(seed=0):
    torch.manual_seed(seed)
    return WordModel().eval()


def saved(net, fmt) -> bytes:
    if fmt == "safetensors":
        return save_safetensors({k: v.detach().contiguous() for k, v in net.state_dict().items()})
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    return buffer.getvalue()


def uploaded(net, fmt, words=WORDS, tokenizer=None):
    found = your_model.infer(your_model.read_weights(saved(net, fmt), f"words.{fmt}"))
    vocab = your_model.parse_vocab(json.dumps(words).encode(), found.config.input_size, "words.json",
                                   tokenizer=tokenizer)
    return your_model.build(found, vocab)


def ids_of(text, words=WORDS):  # the test's own split: whitespace, unknown words as <unk>
    return torch.tensor([words.index(w) if w in words else words.index("<unk>") for w in text.split()])


@pytest.mark.parametrize("fmt", ["safetensors", "pt"])
def test_a_word_model_traces_like_its_own_forward(fmt):
    net = word_model()
    model = uploaded(net, fmt)
    assert isinstance(model.vocab, TokenVocab) and model.meta["token_level"]
    tr = explorer.trace(model, TEXT)
    ids = ids_of(TEXT)
    assert tr.tokens == tuple(TEXT.split()) and isinstance(tr.tokens, Tokens)
    assert tr.token_ids.tolist() == ids.tolist()
    with torch.no_grad():
        logits = net(ids)
        hidden = net.lstm(net.embedding(ids))[0]
    np.testing.assert_allclose(tr.logits, logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(tr.hidden[-1, 0], hidden.numpy(), atol=1e-5)
    expected = F.cross_entropy(logits[:-1], ids[1:], reduction="none").numpy()
    np.testing.assert_allclose(tr.loss[:-1], expected, atol=1e-5)
    assert tr.topk_labels[0][0] in WORDS


def test_a_word_models_gradients_equal_autograd():
    net = word_model(1)
    model = uploaded(net, "safetensors")
    grads = explorer.bptt(model, TEXT, loss="last")
    ids = ids_of(TEXT)
    emb = net.embedding(ids).detach().requires_grad_(True)
    loss = F.cross_entropy(net.fc(net.lstm(emb)[0])[-2:-1], ids[-1:])  # the last step with a target
    loss.backward()
    assert grads.loss == pytest.approx(loss.item(), abs=1e-5)
    np.testing.assert_allclose(grads.dx, emb.grad.numpy(), atol=1e-5)


def test_unknown_words_are_named_and_read_as_unk():
    model = uploaded(word_model(), "safetensors")
    encoded = model.encode("the zebra sat on the sofa")
    assert encoded.unknown == ("zebra", "sofa")
    assert encoded.ids.tolist() == [2, 0, 4, 5, 2, 0]
    assert model.vocab.has_unknown_token and model.vocab.unknown_id == 0


def test_without_an_unknown_token_the_vocabulary_says_token_0_is_a_real_word():
    words = ["the", "cat", "sat", "<eos>", "on", "mat", "a", "dog", "ran", ",", ".", "x"]
    model = uploaded(word_model(), "safetensors", words=words)
    assert not model.vocab.has_unknown_token and model.vocab.unknown_id == 0
    encoded = model.encode("the zebra")
    assert encoded.ids.tolist() == [0, 0] and encoded.unknown == ("zebra",)


def test_an_unk_entry_anywhere_takes_the_unknown_words():
    vocab = TokenVocab(("the", "cat", "<unk>", "<eos>"))
    assert vocab.unknown_id == 2 and vocab.encode("the dog").ids.tolist() == [0, 2]


def test_a_line_break_is_read_as_eos():
    vocab = TokenVocab(tuple(WORDS))
    encoded = vocab.encode("the cat\nsat")
    assert encoded.chars == ("the", "cat", "<eos>", "sat") and encoded.ids.tolist() == [2, 3, 1, 4]
    assert vocab.decode([2, 3, 1]) == " the cat\n"


@pytest.mark.parametrize("tokenizer, tokens", [
    ("whitespace", ("the", "cat,", "the", "dog.")),
    ("punctuation", ("the", "cat", ",", "the", "dog", ".")),
    ("characters", tuple("the cat, the dog.")),
])
def test_the_tokenizer_splits_as_chosen(tokenizer, tokens):
    assert set(TOKENIZERS) == {"whitespace", "punctuation", "characters"}
    vocab = TokenVocab(tuple(WORDS), tokenizer=tokenizer)
    assert vocab.encode("the cat, the dog.").chars == tokens


def test_the_default_tokenizer_follows_the_vocabulary():
    assert TokenVocab.default_tokenizer(WORDS) == "punctuation"  # "," and "." are tokens of their own
    assert TokenVocab.default_tokenizer(WORDS[:-2]) == "whitespace"
    assert TokenVocab.default_tokenizer(list("abc")) == "characters"
    found = your_model.infer(your_model.read_weights(saved(word_model(), "safetensors")))
    words = [*WORDS[:-2], "cats", "dogs"]
    assert your_model.parse_vocab(json.dumps(words).encode(), found.config.input_size).tokenizer == "whitespace"
    chosen = your_model.parse_vocab(json.dumps(words).encode(), found.config.input_size, tokenizer="characters")
    assert chosen.tokenizer == "characters"


@pytest.mark.parametrize("itos, token_level", [
    (list("abc"), False), (["a", "<eos>", "b"], True), (["the", "a"], True), (["\ufffd", "a"], False),
])
def test_what_makes_a_token_vocabulary(itos, token_level):
    assert is_token_vocabulary(itos) is token_level


def test_a_character_vocabulary_stays_a_character_vocabulary():
    vocab = your_model.parse_vocab(json.dumps(list("abc")).encode(), 3)
    assert isinstance(vocab, UploadedVocab) and not vocab.token_level and not vocab.has_unknown_token
    assert not Vocab.from_chars("ab").token_level


def test_a_word_with_half_a_surrogate_pair_is_refused():
    raw = json.dumps(["the", "ca\ud800t", "<eos>"]).encode()
    with pytest.raises(ValueError, match=r"^v\.json: vocabulary entry 1 .* holds half of a surrogate pair"):
        your_model.parse_vocab(raw, 3, "v.json")


def test_figures_say_token_and_show_the_tokens():
    model = uploaded(word_model(), "safetensors")
    tr = explorer.trace(model, TEXT)
    heat = figures.state_heatmap(values=tr.hidden[0, 0], tokens=tr.tokens, quantity="hidden")
    assert heat.layout.xaxis.title.text == "step (token read)"
    assert list(heat.layout.xaxis.ticktext) == TEXT.split()
    top = figures.topk_figure(tokens=tr.tokens, topk_labels=tr.topk_labels, topk_probs=tr.topk_probs)
    assert top.layout.title.text == "Top-5 guesses for the next token"
    strip = figures.loss_strip(tokens=tr.tokens, loss=tr.loss)
    assert strip.layout.title.text == "Surprise: bits spent on each next token"
    assert "next token" in strip.data[0].hovertemplate
    html = figures.colored_text_html(tokens=tr.tokens, values=tr.hidden[0, 0, :, 0], quantity="hidden", unit=0)
    assert ">the <" in html and ">mat <" in html  # each word its own span, spaces between
    # a character model's figures are as before
    chars = figures.state_heatmap(values=tr.hidden[0, 0], tokens=tuple("abcdef"), quantity="hidden")
    assert chars.layout.xaxis.title.text == "step (character read)"


def test_every_step_axis_says_token_for_a_token_model():
    """Figures that only pass the tokens on (the Gradients page's heatmaps) title their axis the same way,
    binned into wide columns too."""
    tokens = Tokens(["the", "cat", "sat"] * 400)
    values = np.ones((len(tokens), 4))
    for max_columns in (2000, 100):
        fig = figures.gradients.log_heatmap(values=values, tokens=tokens, title="t", value_name="v",
                                            max_columns=max_columns)
        assert fig.layout.xaxis.title.text == "step (token read)"
    fig = figures.gradients.log_heatmap(values=values, tokens=tuple("abc") * 400, title="t", value_name="v")
    assert fig.layout.xaxis.title.text == "step (character read)"


def test_ids_given_directly_are_read_as_tokens_and_the_sentences_say_token():
    from explorer.analysis import highlights
    model = uploaded(word_model(), "safetensors")
    tr = explorer.trace(model, ids_of(TEXT))
    assert isinstance(tr.tokens, Tokens) and tr.tokens == tuple(TEXT.split())
    state = highlights.state_sentence(np.asarray(tr.hidden[-1, 0]), tr.tokens)
    assert "token" in state and "character" not in state
    loss = np.asarray(tr.loss)
    surprise = highlights.surprise_sentence(loss, tr.tokens, tr.topk_labels, np.asarray(tr.topk_probs))
    assert "next token" in surprise and "character" not in surprise
    step = highlights.most_surprising(loss)
    assert f"“{' '.join(tr.tokens[max(0, step - 5):step + 1])}”" in surprise  # words keep their spaces
    chars = explorer.trace(_char_model(), "abca")
    assert "character" in highlights.state_sentence(np.asarray(chars.hidden[-1, 0]), chars.tokens)


def _char_model():
    from explorer import ModelConfig, RNNModel, Vocab
    vocab = Vocab.from_chars("abc")
    return RNNModel(ModelConfig(cell="gru", input_size=len(vocab), hidden_size=4, output_size=len(vocab)), vocab).eval()
