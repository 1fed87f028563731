"""A build ends by listing the model's strongest units in its sidecar (explorer/zoo/rebuild.py, list_units),
so a rebuilt model keeps the units Inspect opens on; the zoo runs the analysis layer's command for that. A build
is reproducible from its recipe alone, dropout's random masks included."""
import dataclasses
import json

import pytest
import torch

from explorer import ModelConfig, RNNModel, Vocab, zoo
from explorer.analysis import known_units
from explorer.training import train
from explorer.zoo import rebuild
from explorer.zoo.recipes import RECIPES, Recipe


def test_a_build_writes_the_units_of_the_model_it_saved(tmp_path, monkeypatch, capsys):
    recipe = Recipe("tiny-brackets", "a tiny bracket counter", "brackets", "lstm", 4, steps=2, seq_len=16)
    monkeypatch.setitem(RECIPES, recipe.name, recipe)
    model = rebuild.build(recipe.name, tmp_path, progress=False)
    written = json.loads((tmp_path / "tiny-brackets.json").read_text(encoding="utf-8"))
    rows = known_units.listed_units(written)
    assert [row["feature"] for row in rows] == ["depth"] and model.meta["units"] == rows
    assert known_units.sequence_units(zoo.load(recipe.name, tmp_path)) == rows  # what the command finds
    assert "no units" not in capsys.readouterr().err


def test_a_model_without_unit_features_is_saved_without_units(tmp_path, capsys):
    vocab = Vocab.from_chars("ab")
    model = RNNModel(ModelConfig(cell="gru", input_size=len(vocab), output_size=len(vocab), hidden_size=4), vocab)
    zoo.save(model, "tiny-recall", {"name": "tiny-recall", "task": "recall", "cell": "gru"}, tmp_path)
    assert rebuild.list_units("tiny-recall", tmp_path, progress=False) is None
    assert "tiny-recall: no units listed (error: tiny-recall: no units are listed" in capsys.readouterr().err
    assert "units" not in json.loads((tmp_path / "tiny-recall.json").read_text(encoding="utf-8"))


def test_a_recipe_with_dropout_rebuilds_to_the_same_weights(tmp_path, monkeypatch):
    recipe = Recipe("tiny-dropout", "a tiny two-layer counter", "brackets", "lstm", 4, steps=3, seq_len=16,
                    num_layers=2, dropout=0.5)
    monkeypatch.setitem(RECIPES, recipe.name, recipe)
    first = rebuild.build(recipe.name, tmp_path / "a", progress=False)
    torch.randn(7)  # whatever ran before a build, its masks come from the recipe's seed
    second = rebuild.build(recipe.name, tmp_path / "b", progress=False)
    assert first.config.dropout == 0.5 and zoo.load(recipe.name, tmp_path / "a").config.dropout == 0.5
    monkeypatch.setitem(RECIPES, recipe.name, dataclasses.replace(recipe, dropout=0.0))
    plain = rebuild.build(recipe.name, tmp_path / "c", progress=False)
    assert not torch.equal(plain.state_dict()["head.weight"], first.state_dict()["head.weight"])  # it took effect
    for name, weight in first.state_dict().items():
        torch.testing.assert_close(second.state_dict()[name], weight, rtol=0, atol=0)


def test_the_lower_rate_goes_on_from_the_weights_that_read_best_on_validation(tmp_path, monkeypatch):
    recipe = Recipe("tiny-best", "a tiny counter", "brackets", "lstm", 4, steps=3 * rebuild.BEST_EVERY, lr=3e-2,
                    seq_len=16, late_lr=3e-3, late_from_best=True)
    monkeypatch.setitem(RECIPES, recipe.name, recipe)
    task = rebuild.make_task(recipe)
    state = train.start(task, train.build_model(train.config_for(task, cell="lstm", hidden_size=4), task.vocab,
                                                seed=0), train.TrainSettings(lr=3e-2, seq_len=16))
    train.train_steps(state, 50)
    best = rebuild.BestSoFar()
    best.check(state, recipe, task, step=250)
    kept = {name: weight.clone() for name, weight in state.model.state_dict().items()}
    with torch.no_grad():
        state.model.head.weight.zero_()  # every depth scores alike: the worst it can read
    best.check(state, recipe, task, step=500)
    assert best.step == 250
    best.restore(state)
    for name, weight in kept.items():
        torch.testing.assert_close(state.model.state_dict()[name], weight, rtol=0, atol=0)
    # a build records where the lower rate took over, and rebuilds to the same weights
    first = rebuild.build(recipe.name, tmp_path / "a", progress=False)
    assert first.meta["late_from"]["step"] in (rebuild.BEST_EVERY, 2 * rebuild.BEST_EVERY)  # at the first rate
    second = rebuild.build(recipe.name, tmp_path / "b", progress=False)
    for name, weight in first.state_dict().items():
        torch.testing.assert_close(second.state_dict()[name], weight, rtol=0, atol=0)


def test_the_training_strings_change_at_the_lower_rate_and_the_measured_task_does_not(tmp_path, monkeypatch):
    recipe = Recipe("tiny-late", "a tiny counter", "brackets", "lstm", 4, steps=150, lr=3e-2, seq_len=16,
                    late_lr=3e-3, task_kwargs={"max_depth": 20, "climb_share": 0.8},
                    late_task_kwargs={"wander_share": 0.5})
    monkeypatch.setitem(RECIPES, recipe.name, recipe)
    seen = []  # (step before the chunk, wander_share of the strings it trains on)
    steps = train.train_steps

    def recording(state, count):
        seen.append((state.step, state.task.wander_share))
        return steps(state, count)

    monkeypatch.setattr(train, "train_steps", recording)
    model = rebuild.build(recipe.name, tmp_path, progress=False)
    assert seen == [(0, 0.0), (50, 0.0), (100, 0.5)]  # the turn at two thirds of 150 steps
    assert model.meta["task_config"]["wander_share"] == 0.0  # measured on the task without the late settings
    assert model.meta["recipe"]["late_task_kwargs"] == {"wander_share": 0.5}
    assert rebuild.make_task(recipe, late=True).climb_share == 0.8  # the late settings add to the recipe's own
    monkeypatch.setitem(RECIPES, recipe.name, dataclasses.replace(recipe, late_task_kwargs={"wander_share": 2.0}))
    seen.clear()
    with pytest.raises(ValueError, match="wander_share"):
        rebuild.build(recipe.name, tmp_path, progress=False)
    assert seen == []  # refused before any training, not at the turn


def test_settings_for_the_lower_rate_without_one_are_refused_before_training(tmp_path, monkeypatch):
    """late_task_kwargs and late_from_best act at late_lr's turn: without late_lr they would be ignored in silence."""
    seen = []
    monkeypatch.setattr(train, "train_steps", lambda state, count: seen.append(count) or [])
    for late in ({"late_task_kwargs": {"wander_share": 0.5}}, {"late_from_best": True}):
        recipe = Recipe("tiny-no-turn", "a tiny counter", "brackets", "lstm", 4, steps=20, seq_len=16, **late)
        monkeypatch.setitem(RECIPES, recipe.name, recipe)
        with pytest.raises(ValueError, match="has no late_lr"):
            rebuild.build(recipe.name, tmp_path, progress=False)
    assert seen == []


def test_a_recipe_can_go_on_from_a_built_model_and_refuses_one_missing_or_of_another_shape(tmp_path, monkeypatch):
    first = Recipe("tiny-first", "a tiny counter", "brackets", "lstm", 4, steps=20, lr=3e-2, seq_len=16)
    then = Recipe("tiny-then", "the tiny counter, trained on", "brackets", "lstm", 4, steps=2, lr=1e-3, seq_len=16,
                  init_from="tiny-first")
    monkeypatch.setitem(RECIPES, first.name, first)
    monkeypatch.setitem(RECIPES, then.name, then)
    with pytest.raises(ValueError, match="tiny-first, which is not built"):
        rebuild.build(then.name, tmp_path, progress=False)
    built = rebuild.build(first.name, tmp_path, progress=False)
    started = []
    steps = train.train_steps

    def recording(state, count):
        if not started:
            started.append({name: weight.clone() for name, weight in state.model.state_dict().items()})
        return steps(state, count)

    monkeypatch.setattr(train, "train_steps", recording)
    went_on = rebuild.build(then.name, tmp_path, progress=False)
    for name, weight in built.state_dict().items():
        torch.testing.assert_close(started[0][name], weight, rtol=0, atol=0)  # its first step starts from them
    assert not torch.equal(went_on.state_dict()["head.weight"], built.state_dict()["head.weight"])  # and moved on
    assert went_on.meta["recipe"]["init_from"] == "tiny-first"
    monkeypatch.setitem(RECIPES, then.name, dataclasses.replace(then, hidden_size=6))
    with pytest.raises(ValueError, match="another task or shape"):
        rebuild.build(then.name, tmp_path, progress=False)


def test_a_recipe_that_carries_the_state_trains_on_streams_and_a_task_without_them_is_refused(tmp_path, monkeypatch):
    recipe = Recipe("tiny-streams", "a tiny English reader", "english", "lstm", 4, steps=3, batch_size=4, seq_len=16,
                    carry_state=True)
    monkeypatch.setitem(RECIPES, recipe.name, recipe)
    monkeypatch.setattr(rebuild, "evaluate_recipe", lambda *args, **kwargs: {})  # the whole-split scores: not here
    monkeypatch.setattr(rebuild, "list_units", lambda *args, **kwargs: None)
    seen = []
    steps = train.train_steps

    def recording(state, count):
        rows = steps(state, count)
        seen.append((state.settings.carry_state, state.streams.position, state.carried[1].shape))
        return rows

    monkeypatch.setattr(train, "train_steps", recording)
    model = rebuild.build(recipe.name, tmp_path, progress=False)
    assert seen == [(True, 3, torch.Size([1, 4, 4]))]  # three batches of four streams, the cell state carried
    assert model.meta["recipe"]["carry_state"] is True
    monkeypatch.setitem(RECIPES, recipe.name, dataclasses.replace(recipe, task="brackets", name="tiny-streams"))
    seen.clear()
    with pytest.raises(ValueError, match="Only a text can be read with the state carried"):
        rebuild.build(recipe.name, tmp_path, progress=False)
    assert seen == []
