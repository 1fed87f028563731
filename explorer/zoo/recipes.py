"""The RNNModel recipes: how each pretrained model is rebuilt from nothing (task, cell, size,
optimizer budget, seed). `recipe_names` adds the recipes of every registered checkpoint kind
(the encoder-decoders), in the order `python -m explorer.zoo build --all` builds them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from explorer.zoo.kinds import kind_recipe_names


@dataclass(frozen=True)
class Recipe:
    """How to rebuild one pretrained model from nothing."""

    name: str
    title: str
    task: str
    cell: str
    hidden_size: int
    steps: int  # optimizer steps; the English trio shares one budget so they compare fairly
    lr: float = 3e-3
    batch_size: int = 32
    seq_len: int | None = None  # None: the task's default
    clip_norm: float = 1.0  # clipping on for every zoo model: the classic remedy for exploding gradients
    num_layers: int = 1
    bidirectional: bool = False  # a second chain reads the sequence backwards (the Stacked & bidirectional page)
    input_mode: str | None = None  # None: embedding for text, real values otherwise
    embedding_size: int = 32
    task_kwargs: dict = field(default_factory=dict)
    seed: int = 0
    eval_seq_len: int | None = None  # brackets: test on sequences longer than the training ones
    # several lengths in one model: the shortest two first (CURRICULUM_STEPS each), then every length in turn,
    # CYCLE_STEPS at a time; each is measured on its own (metrics "lengths")
    seq_lens: tuple[int, ...] = ()
    late_lr: float | None = None  # the learning rate for the last third of the steps
    # at late_lr's turn, go back to the weights that read best on validation at the first rate: a rate high enough
    # to swing from one check to the next then keeps its best moment, not whichever moment the turn happens to meet
    late_from_best: bool = False
    # task settings that change at late_lr's turn, for the training strings of the lower rate only (brackets-lstm:
    # some climbing strings then wander at their height, where the first rate keeps them coming down)
    late_task_kwargs: dict = field(default_factory=dict)
    dropout: float = 0.0  # ModelConfig.dropout: while training only
    carry_state: bool = False  # TrainSettings.carry_state: the text read in batch_size streams, the state carried
    # the zoo model whose trained weights this one starts from (same task and shape, built first); None: a fresh
    # initialisation from the seed
    init_from: str | None = None
    note: str = ""


CURRICULUM_STEPS, CYCLE_STEPS = 600, 100
# The English budget: the showpiece, the SimpleRNN / GRU / LSTM comparison set and the minGRU and minLSTM all train
# this long, so Compare and Gradients set side by side models that have each learned what their size allows
# (docs/library.md)
ENGLISH_BUDGET = {"steps": 5000, "lr": 2e-3, "batch_size": 64, "seq_len": 128, "late_lr": 5e-4}


def seq_len_at(recipe: Recipe, step: int) -> int:
    """The sequence length a recipe trains on at `step` (its one length, or its schedule over several)."""
    if not recipe.seq_lens:
        return recipe.seq_len
    lengths = sorted(recipe.seq_lens)
    warm = lengths[:2]
    if step < CURRICULUM_STEPS * len(warm):
        return warm[step // CURRICULUM_STEPS]
    return lengths[(step - CURRICULUM_STEPS * len(warm)) // CYCLE_STEPS % len(lengths)]


def lr_at(recipe: Recipe, step: int) -> float:
    return recipe.late_lr if recipe.late_lr is not None and step >= recipe.steps * 2 // 3 else recipe.lr


RECIPES: dict[str, Recipe] = {r.name: r for r in [
    Recipe("english-lstm", "LSTM on English prose", "english", "lstm", 128, **ENGLISH_BUDGET,
           note="the default model of the Inspect page"),
    Recipe("english-lstm-512", "LSTM on English prose, 512 units", "english", "lstm", 512, **ENGLISH_BUDGET,
           embedding_size=64, dropout=0.2,
           note="the showpiece: 13 times english-lstm's weights, 3.3 times the characters it reads in "
                "training, a lower rate for the last third, dropout 0.2 (it reads its training text far better "
                "than the rest without it)"),
    Recipe("english-gru", "GRU on English prose", "english", "gru", 128, **ENGLISH_BUDGET),
    Recipe("english-rnn", "SimpleRNN on English prose", "english", "rnn", 128, **ENGLISH_BUDGET),
    Recipe("english-rnn-matched", "SimpleRNN on English prose, as many parameters as english-lstm",
           "english", "rnn", 256, **ENGLISH_BUDGET),
    Recipe("english-gru-matched", "GRU on English prose, as many parameters as english-lstm",
           "english", "gru", 150, **ENGLISH_BUDGET),
    Recipe("python-lstm-512", "LSTM on Python source, 512 units", "python", "lstm", 512, steps=5000, lr=2e-3,
           batch_size=64, seq_len=128, embedding_size=64, late_lr=5e-4,
           note="english-lstm-512's recipe on the standard library's source: for cleaner quote and bracket units"),
    Recipe("python-lstm", "LSTM on Python source (the standard library)", "python", "lstm", 256, steps=4000,
           lr=2e-3, seq_len=128, note="where quote, bracket and indentation units appear"),
    Recipe("python-code-lstm", "Two-layer LSTM on Python code (no comments or docstrings)", "python-code", "lstm",
           256, num_layers=2, steps=5000, lr=3e-3, batch_size=16, seq_len=256, late_lr=7.5e-4, embedding_size=64,
           note="strings here are the code's own literals, not docstrings: the zoo's clearest string unit; windows "
                "of 256 characters, picked on validation code over 128 and 512, hold bracket depth across lines"),
    Recipe("python-code-lstm-stateful", "Two-layer LSTM on Python code, its state carried from batch to batch",
           "python-code", "lstm", 256, num_layers=2, steps=5000, lr=3e-3, batch_size=32, seq_len=128, late_lr=7.5e-4,
           embedding_size=64, carry_state=True,
           note="python-code-lstm's budget read as char-rnn reads: 32 streams through the code, each window going on "
                "from the state the last ended in, so a bracket opened lines back is still open when a window starts; "
                "the zoo's clearest bracket-depth unit. From a zero state it reads worse than python-code-lstm"),
    Recipe("python-code-lstm-stateful-long", "python-code-lstm-stateful, trained 3,000 steps longer", "python-code",
           "lstm", 256, num_layers=2, steps=3000, lr=7.5e-4, batch_size=32, seq_len=128, embedding_size=64,
           carry_state=True, init_from="python-code-lstm-stateful",
           note="python-code-lstm-stateful's weights read on for 3,000 more steps at its lower rate, the streams "
                "starting afresh: its string unit sharpens to 0.80 on Find units' sample while the bracket unit "
                "keeps 0.93; it reads the test split slightly worse"),
    Recipe("adding-lstm", "LSTM on the adding problem, T=50 to 400", "adding", "lstm", 64, steps=9200, lr=3e-3,
           batch_size=64, seq_len=100, seq_lens=(50, 100, 200, 400), late_lr=1e-3,
           note="trained on four lengths, so no offset creeps in beyond the one it saw most"),
    Recipe("adding-rnn", "SimpleRNN on the adding problem, T=100", "adding", "rnn", 64, steps=3000, lr=1e-3,
           batch_size=64, seq_len=100, note="fails where the LSTM succeeds: the classic gap"),
    Recipe("brackets-lstm", "LSTM counting bracket depth", "brackets", "lstm", 48, steps=15000, lr=3e-2,
           seq_len=64, eval_seq_len=512, late_lr=4e-3, late_from_best=True,
           task_kwargs={"max_depth": 64, "climb_share": 0.8}, late_task_kwargs={"wander_share": 0.3}, dropout=0.2,
           seed=10,  # of seeds 0-11 of this recipe the best on the validation strings (docs/library.md)
           note="a class for every depth a fair walk of 512 brackets reaches; most training strings climb and come "
                "back down, so strings of 64 show the deep ones; dropout on the brackets read keeps the count from "
                "leaking when a depth is held long; 10,000 steps at the high rate and 5,000 at the lower one "
                "settle the deep depths, and at the lower rate some strings climb straight and wander at their "
                "height, so the read-out learns the depths past 40; measured on fair walks eight times as long"),
    Recipe("sentiment-gru", "GRU reading a sentence for its sentiment", "sentiment", "gru", 64, steps=1500),
    Recipe("count-lstm", "LSTM counting down from one digit (one-to-many)", "count", "lstm", 32, steps=800,
           lr=1e-2),
    Recipe("series-lstm", "LSTM forecasting a synthetic seasonal series", "series", "lstm", 32, steps=1500,
           lr=3e-3, task_kwargs={"source": "synthetic", "window": 36, "horizon": 6},
           note="a window of three seasons, picked on the validation steps (windows of 24, 30 and 48 did worse there)"),
    Recipe("brackets-rnn", "SimpleRNN (Elman) counting bracket depth", "brackets", "rnn", 32, steps=1500, lr=5e-3,
           seq_len=64, eval_seq_len=128, note="feeds back its hidden state; compare brackets-jordan"),
    Recipe("brackets-jordan", "Jordan network counting bracket depth", "brackets", "jordan", 32, steps=1500, lr=5e-3,
           seq_len=64, eval_seq_len=128, note="feeds back its previous output (the depth it predicted)"),
    Recipe("sentiment-bigru", "2-layer bidirectional GRU reading a sentence for its sentiment", "sentiment", "gru", 32,
           steps=1500, num_layers=2, bidirectional=True, note="compare sentiment-gru: one layer, forward only"),
    Recipe("english-rnn-onehot", "SimpleRNN on English prose, one-hot input", "english", "rnn", 128, **ENGLISH_BUDGET,
           input_mode="onehot", note="english-rnn trained on one-hot characters instead of an embedding"),
    Recipe("airline-lstm", "LSTM forecasting airline passengers, each window relative to its last month", "series",
           "lstm", 32, steps=1500, lr=1e-3, task_kwargs={"source": "airline", "window": 12, "horizon": 1,
                                                         "relative": True},
           note="reads log(value / last value of the window), so the test years' new heights are no surprise; "
                "hidden size, steps and lr picked on the validation months"),
    Recipe("poetry-lstm", "LSTM on classical Chinese poetry (Tang poems)", "poetry", "lstm", 256, steps=1500,
           seq_len=64, embedding_size=64,
           note="reads traditional characters, one poem of eight seven-character lines per line; steps picked on "
                "the validation poems, past which it learns the training poems by heart"),
    # hidden sizes are the nearest to english-gru's 72,351 parameters: a min cell has no weight_hh, so it is wider
    Recipe("english-mingru", "minGRU on English prose, as many parameters as english-gru", "english", "mingru", 545,
           **ENGLISH_BUDGET, note="gates read x_t only and training runs a parallel scan (Feng et al. 2024)"),
    Recipe("english-minlstm", "minLSTM on English prose, as many parameters as english-gru", "english", "minlstm",
           434, **ENGLISH_BUDGET, note="normalised forget and input gates that read x_t only (Feng et al. 2024)"),
]}


def recipe_names() -> list[str]:
    """Every model the zoo can rebuild: the RNNModel recipes, then the other kinds' (encoder-decoders)."""
    return [*RECIPES, *kind_recipe_names()]
