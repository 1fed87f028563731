"""Task registry: `get("english")`, `get("series", source="airline")`, `available()`.

Each task is one file here; base.py holds the Batch contract and the shared loss/metric helpers.
"""
from __future__ import annotations

import functools
from typing import Callable

from explorer.tasks.adding import AddingTask
from explorer.tasks.base import Batch, Task
from explorer.tasks.brackets import BracketsTask
from explorer.tasks.char_corpus import CORPORA, CharCorpusTask
from explorer.tasks.count import CountTask
from explorer.tasks.sentiment import SentimentTask
from explorer.tasks.series import SeriesTask

TASKS: dict[str, Callable[..., Task]] = {
    "english": functools.partial(CharCorpusTask, corpus="english"),
    "python": functools.partial(CharCorpusTask, corpus="python"),
    "python-code": functools.partial(CharCorpusTask, corpus="python-code"),
    "poetry": functools.partial(CharCorpusTask, corpus="poetry"),
    "brackets": BracketsTask,
    "adding": AddingTask,
    "sentiment": SentimentTask,
    "count": CountTask,
    "series": SeriesTask,
}


def available() -> list[str]:
    return list(TASKS)


def title(name: str) -> str:
    """A task's title (untranslated), without building it: a text corpus is read, and the code corpus stripped of
    its comments and docstrings, only when a page trains or scores on it (seconds and tens of MB each)."""
    factory = TASKS.get(name)
    if isinstance(factory, functools.partial) and factory.func is CharCorpusTask:
        return CORPORA[factory.keywords["corpus"]][0]
    return get(name).title


def get(name: str, **kwargs) -> Task:
    """Build a task by registry name; kwargs go to its constructor (see `task.config()`)."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}.")
    return TASKS[name](**kwargs)


__all__ = ["Batch", "Task", "TASKS", "available", "get", "title"]
