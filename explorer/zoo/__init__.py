"""The pretrained zoo: list, load, save and rebuild the models the app opens on.

    python -m explorer.zoo list                 # names, tasks, sizes and held-out metrics
    python -m explorer.zoo build english-lstm   # retrain one from scratch (fixed seed)
    python -m explorer.zoo build --all          # retrain every model
    python -m explorer.zoo baselines            # recompute the n-gram baselines stored with the models

Each model is two files in pretrained/: NAME.safetensors (the weights, no pickle) and NAME.json
(config, vocabulary, task, training settings and the metrics measured when it was built).
Loading never unpickles anything; a damaged, truncated or mismatched file gives a ValueError
that says which file and what is wrong.

    checkpoint.py  the files: the one gate every checkpoint passes, the one writer, RNNModel's own
    kinds.py       the registry of other checkpoint kinds (explorer.seq2seq registers its own)
    recipes.py     how each RNNModel is rebuilt from nothing
    store.py       what is on disk, and opening a model by name
    rebuild.py     training a recipe, measuring it, saving it
    cli.py         the command line above
    your_model.py  a user's own model, read safely: the entry point over the three below
    layouts.py     reading weights (safetensors, torch.save zips) and finding the roles of their keys by shape
    tokens.py      the vocabulary a user brings: characters, or words and subwords (a token model)
    keras.py       Keras SimpleRNN / GRU / LSTM weights, converted to torch's layout
"""
from explorer.zoo.checkpoint import (
                                     FORMAT,
                                     MAX_CHECKPOINT_BYTES,
                                     ZOO_DIR,
                                     load_checkpoint,
                                     load_weights,
                                     paths,
                                     read_meta,
                                     save,
                                     save_state_dict,
                                     sidecar,
                                     state_dict_bytes,
                                     to_bytes,
)
from explorer.zoo.cli import main
from explorer.zoo.kinds import Kind, register_kind
from explorer.zoo.rebuild import build, evaluate_recipe, make_task
from explorer.zoo.recipes import RECIPES, Recipe, recipe_names
from explorer.zoo.store import available, info, load, summary_rows

__all__ = ["FORMAT", "MAX_CHECKPOINT_BYTES", "RECIPES", "ZOO_DIR", "Kind", "Recipe", "available", "build",
           "evaluate_recipe", "info", "load", "load_checkpoint", "load_weights", "main", "make_task", "paths",
           "read_meta", "recipe_names", "register_kind", "save", "save_state_dict", "sidecar", "state_dict_bytes",
           "summary_rows", "to_bytes"]
