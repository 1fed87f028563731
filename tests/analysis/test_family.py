"""The family pages' numbers: PCA by hand, one-hot columns as embeddings, where two directions meet,
what Jordan and Elman nets feed back, and the real zoo models against their baselines."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from explorer import ModelConfig, RNNModel, Vocab, tasks, trace, zoo
from explorer.analysis import family
from explorer.training.train import evaluate

VOCAB = Vocab.from_text("abcde fgh, XY 12.")


def tiny(seed=0, **kw) -> RNNModel:
    torch.manual_seed(seed)
    config = dict(cell="rnn", input_size=len(VOCAB), output_size=len(VOCAB), hidden_size=6, embedding_size=4)
    return RNNModel(ModelConfig(**{**config, **kw}), VOCAB).eval()


# -- one-hot against embedding --------------------------------------------------------------


def test_char_classes():
    assert [family.char_class(c) for c in "aEk7 \n,Zu"] == ["vowel", "upper", "consonant", "digit", "space", "space",
                                                           "punctuation", "upper", "vowel"]


def test_pca_matches_the_covariance_eigenvectors():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.1])  # (N, D)
    coords, explained = family.pca_2d(vectors)
    centred = vectors - vectors.mean(0)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / (len(vectors) - 1))  # ascending
    top = eigenvectors[:, ::-1][:, :2]
    reference = centred @ top
    signs = np.sign(np.sum(reference * coords, axis=0))  # an eigenvector's sign is arbitrary
    np.testing.assert_allclose(coords, reference * signs, atol=1e-10)
    np.testing.assert_allclose(explained, eigenvalues[::-1][:2] / eigenvalues.sum(), atol=1e-12)


def test_pca_of_points_on_a_line_puts_them_all_on_the_first_axis():
    line = np.outer(np.arange(5.0), [3.0, 4.0])  # (5, 2) along (3, 4), length 5 per step
    coords, explained = family.pca_2d(line)
    np.testing.assert_allclose(np.abs(coords[:, 0]), [10, 5, 0, 5, 10], atol=1e-12)
    np.testing.assert_allclose(coords[:, 1], 0, atol=1e-12)
    np.testing.assert_allclose(explained, [1.0, 0.0], atol=1e-12)


def test_one_hot_embeds_a_character_as_its_column_of_w_ih():
    model = tiny(input_mode="onehot")
    chars, vectors = family.input_vectors(model)
    assert chars == list(VOCAB.itos[1:]) and vectors.shape == (len(VOCAB) - 1, 6)
    w_ih = model.rnn.weight_ih_l0.detach()
    for k, ch in enumerate(chars):
        onehot = F.one_hot(torch.tensor(VOCAB.stoi[ch]), len(VOCAB)).float()
        np.testing.assert_allclose(vectors[k], (w_ih @ onehot).numpy(), atol=1e-6)
    # and that is what the traced net adds to its first pre-activation (h_{-1} = 0)
    tr = trace(model, "c")
    bias = (model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose(tr.gates["pre"][0, 0, 0] - bias, vectors[chars.index("c")], atol=1e-5)
    _, same = family.input_vectors(model, "first_layer")
    np.testing.assert_array_equal(same, vectors)


def test_embedding_vectors_are_its_rows_and_their_image_under_w_ih():
    model = tiny(input_mode="embedding")
    chars, rows = family.input_vectors(model, "encoding")
    np.testing.assert_array_equal(rows, model.embedding.weight.detach().double().numpy()[1:])
    _, first = family.input_vectors(model, "first_layer")
    tr = trace(model, "X")
    bias = (model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose(tr.gates["pre"][0, 0, 0] - bias, first[chars.index("X")], atol=1e-5)
    with pytest.raises(ValueError, match="what must be 'encoding' or 'first_layer'"):
        family.input_vectors(model, "weights")


def test_nearest_by_cosine():
    vectors = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    result = family.nearest(["a", "b", "c", "d"], vectors, "a", k=2)
    assert [c for c, _ in result] == ["b", "c"]
    assert result[0][1] == pytest.approx(10 / np.sqrt(101)) and result[1][1] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="'z' is not in this model's vocabulary"):
        family.nearest(["a"], vectors[:1], "z")


# -- stacked and bidirectional --------------------------------------------------------------


def test_two_directions_add_up_to_the_many_to_one_output():
    model = tiny(cell="gru", num_layers=2, bidirectional=True, head="last_step", output_size=2)
    text = "abc, de 12"
    tr = trace(model, text)
    parts = family.direction_contributions(model, tr)
    with torch.no_grad():
        expected = model(VOCAB.encode(text).ids)[0].double().numpy()  # (2,), torch's own forward
    assert parts["read"] == (len(text) - 1, 0)
    np.testing.assert_allclose(parts["forward"][-1] + parts["backward"][0] + parts["bias"], expected, atol=1e-5)
    np.testing.assert_allclose(parts["final"], expected, atol=1e-5)
    shares = family.score_shares(parts, ("negative", "positive"))
    assert shares["name"] == "score (positive − negative logit)"
    total = shares["forward"][-1] + shares["backward"][0] + shares["bias"]
    assert total == pytest.approx(expected[1] - expected[0], abs=1e-5)
    label, p = family.verdict(tr, ("negative", "positive"))
    probs = torch.softmax(torch.tensor(expected), 0).numpy()
    assert label == ("positive" if probs[1] > probs[0] else "negative") and p == pytest.approx(probs.max(), abs=1e-6)


def test_per_step_head_reads_both_directions_at_every_step():
    model = tiny(cell="lstm", bidirectional=True)
    text = "hg fed"
    tr = trace(model, text)
    parts = family.direction_contributions(model, tr)
    assert parts["read"] is None
    with torch.no_grad():
        logits = model(VOCAB.encode(text).ids)[0].double().numpy()  # (T, V)
        out, _ = model.rnn(model.features(VOCAB.encode(text).ids)[None])  # (1, T, 2H)
    np.testing.assert_allclose(parts["forward"] + parts["backward"] + parts["bias"], logits, atol=1e-5)
    np.testing.assert_allclose(family.meeting_states(tr), out[0].numpy(), atol=1e-5)


def test_forward_only_models_are_refused_with_a_sentence():
    model = tiny(cell="gru")
    tr = trace(model, "abc")
    with pytest.raises(ValueError, match="this model reads forward only; pick a bidirectional one"):
        family.direction_contributions(model, tr)
    with pytest.raises(ValueError, match="reads forward only"):
        family.meeting_states(tr)


# -- Jordan against Elman -------------------------------------------------------------------


def test_bracket_depths_and_their_refusals():
    assert family.bracket_depths("(()(()))(", 15) == [1, 2, 1, 2, 3, 2, 1, 0, 1]
    assert family.bracket_depths("(a)", 15, filler=True) == [1, 1, 0]
    with pytest.raises(ValueError) as err:
        family.bracket_depths("(a)x", 15)
    assert str(err.value) == ("Type only “(” and “)”: these models were trained on nothing else; "
                              "the text also has 'a', 'x'.")
    with pytest.raises(ValueError, match=r"^The “\)” at step 2 closes a bracket that was never opened\.$"):
        family.bracket_depths("())", 15)
    with pytest.raises(ValueError, match=r"^Step 3 reaches depth 4; these models count only to 3\.$"):
        family.bracket_depths("((((", 3)


def test_jordan_reads_back_its_squashed_previous_output():
    vocab = tasks.get("brackets").vocab
    torch.manual_seed(1)
    model = RNNModel(ModelConfig(cell="jordan", input_size=len(vocab), output_size=16, hidden_size=8), vocab).eval()
    tr = trace(model, "(()(")
    values, name = family.fed_back(model, tr)
    assert name == "φ(y_t-1)" and values.shape == (4, 16)
    np.testing.assert_array_equal(values[0], 0.0)  # y_{-1} = 0 and tanh(0) = 0
    rnn = model.rnn
    with torch.no_grad():
        x = model.features(vocab.encode("(()(").ids)  # (T, E)
        pre = (F.linear(x, rnn.weight_ih_l0, rnn.bias_ih_l0)
               + F.linear(torch.from_numpy(values), rnn.weight_hh_l0, rnn.bias_hh_l0))  # the step equation
    np.testing.assert_allclose(pre.numpy(), tr.gates["pre"][0, 0], atol=1e-5)
    np.testing.assert_allclose(np.tanh(pre.numpy()), tr.hidden[0, 0], atol=1e-5)


def test_elman_reads_back_its_previous_hidden_state():
    model = tiny()
    tr = trace(model, "abcd")
    values, name = family.fed_back(model, tr)
    assert name == "h_t-1"
    np.testing.assert_array_equal(values[0], 0.0)
    np.testing.assert_array_equal(values[1:], tr.hidden[0, 0, :-1])
    assert family.accuracy(np.array([1, 2, 3]), [1, 0, 3]) == pytest.approx(2 / 3)


# -- the real zoo models: each beats its baseline on fresh held-out batches -----------------


@pytest.mark.parametrize("name, floor", [("brackets-rnn", 0.98), ("brackets-jordan", 0.98),
                                         ("sentiment-bigru", 0.98), ("english-rnn-onehot", None)])
def test_real_family_models_beat_their_baselines(name, floor):
    if name not in zoo.available():
        pytest.skip(f"{name} is not built (python -m explorer.zoo build {name})")
    model = zoo.load(name)
    recipe = zoo.RECIPES[name]
    task = zoo.make_task(recipe)
    seq_len = recipe.eval_seq_len or recipe.seq_len or task.default_seq_len  # brackets: twice the training length
    score = evaluate(model, task, split="test", batches=1, batch_size=32, seq_len=seq_len, seed=99)["metric"]
    baseline = model.meta["metrics"]["test"]["baseline"]["value"]
    if floor is None:  # bits/char: lower is better, well under the unigram entropy
        assert score < baseline - 1.5, score
    else:
        assert score >= floor > baseline, score
    if name == "sentiment-bigru":
        assert model.config.bidirectional and model.config.num_layers == 2
    if name == "english-rnn-onehot":
        assert model.config.input_mode == "onehot" and not hasattr(model, "embedding")


def test_vowel_gap_by_hand():
    # a and e point the same way, b at right angles: vowels agree (cosine 1), a vowel and b do not (0)
    vectors = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    within, between = family.vowel_gap(["a", "e", "b"], vectors)
    assert within == pytest.approx(1.0) and between == pytest.approx(0.0)
