"""The registry of checkpoint kinds other than the RNNModel: how the zoo lists, opens and
rebuilds models whose code lives in a package built on top of it.

A package that owns a kind registers it when imported (explorer.seq2seq registers "seq2seq"),
so the zoo never imports that package: the dependency runs one way only. A sidecar whose
"kind" field names a registered kind is opened by that kind's loader; every other sidecar is an
RNNModel's.

    register_kind("seq2seq", load_checkpoint=..., recipes=RECIPES, build=build)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from torch import nn


@dataclass(frozen=True)
class Kind:
    """What the zoo needs from a kind of checkpoint: one loader, its recipes, one builder."""

    name: str  # the value of the sidecar's "kind" field
    load_checkpoint: Callable[[bytes, bytes, str], nn.Module]  # (weights, sidecar bytes, label) -> ready model
    recipes: Mapping[str, Any]  # recipe name -> recipe; the zoo reads only the names
    build: Callable[[str, Path | None, bool], nn.Module]  # (name, directory, progress) -> trained, saved model


KINDS: dict[str, Kind] = {}  # registration order is the order the zoo lists their recipes in


def register_kind(kind: str, *, load_checkpoint: Callable, recipes: Mapping[str, Any], build: Callable) -> Kind:
    """Make a kind known to the zoo. Registering the same name again replaces it (a reloaded module)."""
    KINDS[kind] = Kind(kind, load_checkpoint, recipes, build)
    return KINDS[kind]


def kind_of(meta: dict) -> Kind | None:
    """The registered kind a sidecar names, or None for an RNNModel's sidecar."""
    return KINDS.get(meta.get("kind"))


def kind_with_recipe(name: str) -> Kind | None:
    """The registered kind that can rebuild the recipe NAME, or None."""
    return next((kind for kind in KINDS.values() if name in kind.recipes), None)


def kind_recipe_names() -> list[str]:
    """Every registered kind's recipe names, kind by kind."""
    return [name for kind in KINDS.values() for name in kind.recipes]
