"""Probes: features over a text, and every unit ranked by how well it follows one.

LSTMVis asks "which units track this pattern?" and leaves the brushing to the user; here a
feature is a pure function text -> float array [T] (one value per character, read *after*
the character, like the hidden state h_t), and `rank_units` correlates it with every series
(quantity x layer x direction x unit) of a trace at once.

Regular expressions are the one feature a user writes: Python's `re` has no timeout and a
pattern such as `(a+)+$` takes exponential time, so patterns and texts are capped in length and
the match runs in a short-lived subprocess that is killed after REGEX_TIMEOUT seconds.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explorer.engine.trace import Trace
from explorer.i18n import N_, _, pgettext
from explorer.tasks.char_corpus import CODE_CORPORA, corpus_text, split_bounds

MAX_PATTERN = 200  # characters of a regex: enough for any sensible probe
MAX_REGEX_TEXT = 50_000  # characters a regex runs over (typed text + corpus sample)
REGEX_TIMEOUT = 1.0  # seconds before the matching subprocess is killed
SAMPLE_PIECE = 500  # characters per place the corpus sample is taken from: a few lines of code or verses
# where a sample piece may begin
PIECE_STARTS = dict.fromkeys(CODE_CORPORA, re.compile(r"\n(?= *(?:def|class) )"))
VOWELS = frozenset("aeiouAEIOU")
BRACKETS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


class ProbeError(ValueError):
    """Bad probe input; the message is one sentence for the page."""


# ---------------------------------------------------------------------------------------------
# features: text -> [T] floats, value after reading each character


def python_spans(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Where Python reads `text` as a string literal and where as a comment: two [T] arrays of 0/1.
    Knows ' and ", triple quotes, backslash escapes, and that # outside a string starts a comment
    (quotes in comments do not open strings). The opening quote is in the string, the closing one not."""
    string, comment = np.zeros(len(text), dtype=np.float32), np.zeros(len(text), dtype=np.float32)
    quote, in_comment, t = "", False, 0
    while t < len(text):
        ch = text[t]
        if in_comment:
            in_comment = ch != "\n"
            comment[t] = in_comment
        elif quote:
            if ch == "\\":  # an escape: the next character is part of the string too
                string[t:t + 2] = 1
                t += 2
                continue
            if text.startswith(quote, t):
                t += len(quote)  # the closing quote(s) read 0: the string is over
                quote = ""
                continue
            if ch == "\n" and len(quote) == 1:
                quote = ""  # an unterminated one-line string ends with its line
            else:
                string[t] = 1
        elif ch == "#":
            in_comment = True
            comment[t] = 1
        elif ch in "'\"":
            quote = ch * 3 if text.startswith(ch * 3, t) else ch
            string[t:t + len(quote)] = 1
            t += len(quote)
            continue
        t += 1
    return string, comment


def inside_quotes(text: str) -> np.ndarray:
    """1 while a Python string literal is open after reading the character, else 0 (see python_spans)."""
    return python_spans(text)[0]


def bracket_depth(text: str, *, code: bool = False) -> np.ndarray:
    """How many (, [ or { are open after reading the character (never below 0). In source code
    (`code=True`) a bracket inside a string literal or a comment is text, not syntax, as Python's own
    tokenizer reads it: `print("(")` leaves the depth at 0, and a docstring's "(see below" opens nothing."""
    return _depth(text, np.logical_or(*python_spans(text)) if code else np.zeros(len(text), dtype=bool))


def _depth(text: str, skip: np.ndarray) -> np.ndarray:
    # the bracket count over the characters that `skip` leaves as syntax
    depth, out = 0, np.zeros(len(text), dtype=np.float32)
    for t, ch in enumerate(text):
        if not skip[t]:
            depth = max(0, depth + BRACKETS.get(ch, 0))
        out[t] = depth
    return out


def position_in_word(text: str) -> np.ndarray:
    """1, 2, 3 ... over the letters, digits and underscores of a word; 0 elsewhere."""
    out, run = np.zeros(len(text), dtype=np.float32), 0
    for t, ch in enumerate(text):
        run = run + 1 if ch.isalnum() or ch == "_" else 0
        out[t] = run
    return out


def position_in_line(text: str) -> np.ndarray:
    """The column of the character: 0 for the first one on a line (and for the newline itself)."""
    out, column = np.zeros(len(text), dtype=np.float32), 0
    for t, ch in enumerate(text):
        out[t] = 0 if ch == "\n" else column
        column = 0 if ch == "\n" else column + 1
    return out


def indentation(text: str) -> np.ndarray:
    """The current line's indentation in spaces (a tab counts 4), as far as it has been read:
    it grows over the leading spaces and then holds for the rest of the line; 0 on the newline."""
    out, level, leading = np.zeros(len(text), dtype=np.float32), 0, True
    for t, ch in enumerate(text):
        if ch == "\n":
            level, leading = 0, True
        elif leading and ch in " \t":
            level += 4 if ch == "\t" else 1
        else:
            leading = False
        out[t] = level
    return out


def is_vowel(text: str) -> np.ndarray:
    return np.fromiter((ch in VOWELS for ch in text), dtype=np.float32, count=len(text))


def is_whitespace(text: str) -> np.ndarray:
    return np.fromiter((ch.isspace() for ch in text), dtype=np.float32, count=len(text))


# each feature's name in English, marked for the catalogue: feature_label translates it where it is shown
FEATURES: dict[str, tuple[str, Callable[[str], np.ndarray]]] = {
    "quotes": (N_("inside quotes (a Python string)"), inside_quotes),
    "brackets": (N_("bracket depth ( [ {"), bracket_depth),
    "indent": (N_("indentation of the line"), indentation),
    "word": (N_("position in the word"), position_in_word),
    "line": (N_("position in the line"), position_in_line),
    "vowel": (N_("is a vowel"), is_vowel),
    "space": (N_("is whitespace"), is_whitespace),
}
# How a feature reads source code where that differs from prose: English has apostrophes, which
# would open "strings", so only the code corpora read brackets in strings and comments as text.
# Each with the sentence that says so under its picture.
CODE_FEATURES: dict[str, tuple[str, Callable[[str], np.ndarray]]] = {
    "brackets": (N_("In Python code a bracket inside a string or a comment opens nothing, so it is not counted here."),
                 lambda text: bracket_depth(text, code=True)),
}
REGEX = "regex"  # the feature the user writes: 1 on characters inside a match


# ---------------------------------------------------------------------------------------------
# regular expressions, matched where they cannot hang the server

_MATCHER = ("import json, re, sys\n"
            "job = json.load(sys.stdin)\n"
            "spans = [m.span() for m in re.finditer(job['pattern'], job['text'])]\n"
            "json.dump(spans, sys.stdout)\n")


def check_pattern(pattern: str) -> re.Pattern:
    """Compile a user's pattern, or say in one sentence why it cannot be used."""
    if not pattern:
        raise ProbeError(_("Type a regular expression to probe for, e.g. `self` or `[0-9]+`."))
    if len(pattern) > MAX_PATTERN:
        raise ProbeError(_("The pattern has {n} characters; at most {limit} are allowed.")
                         .format(n=len(pattern), limit=MAX_PATTERN))
    try:
        return re.compile(pattern)
    except re.error as err:
        raise ProbeError(_("The pattern is not a valid regular expression: {error}.").format(error=err)) from None


def regex_match(text: str, pattern: str, *, timeout: float = REGEX_TIMEOUT) -> np.ndarray:
    """1 on every character inside a (non-overlapping) match of `pattern`, else 0.
    Runs in a fresh Python process killed after `timeout` seconds, so a catastrophic
    backtracking pattern costs a second, not the server."""
    check_pattern(pattern)
    if len(text) > MAX_REGEX_TEXT:
        raise ProbeError(_("A pattern runs over at most {limit} characters; this text has {n}.")
                         .format(limit=f"{MAX_REGEX_TEXT:,}", n=f"{len(text):,}"))
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _MATCHER], input=json.dumps(
            {"pattern": pattern, "text": text}), capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:  # run() kills the child before raising
        raise ProbeError(_("The pattern took longer than {seconds} s and was stopped; simplify it "
                           "(nested repeats such as (a+)+ can take exponential time).")
                         .format(seconds=f"{timeout:g}")) from None
    except subprocess.CalledProcessError as err:
        raise ProbeError(_("The pattern could not be matched: {error}.")
                         .format(error=err.stderr.strip().splitlines()[-1])) from None
    out = np.zeros(len(text), dtype=np.float32)
    for start, stop in json.loads(done.stdout):
        out[start:stop] = 1
    return out


def feature_values(name: str, text: str, pattern: str = "", *, code: bool = False) -> np.ndarray:
    """The named feature (a key of FEATURES, or REGEX with `pattern`) over `text`: [T] floats.
    `code`: the text is Python source (CODE_FEATURES)."""
    if name == REGEX:
        return regex_match(text, pattern)
    if name not in FEATURES:
        raise ProbeError(_("Unknown feature {name}; choose one of {names}.")
                         .format(name=repr(name), names=", ".join([*FEATURES, REGEX])))
    return (CODE_FEATURES if code and name in CODE_FEATURES else FEATURES)[name][1](text)


def feature_label(name: str, pattern: str = "") -> str:
    """A feature's name as a user reads it, in the current language."""
    return _("matches /{pattern}/").format(pattern=pattern) if name == REGEX else _(FEATURES[name][0])


def code_note(name: str, code: bool) -> str:
    """How the feature reads Python source where that differs from prose, as one sentence ("" where it does not)."""
    return _(CODE_FEATURES[name][0]) if code and name in CODE_FEATURES else ""


def quantity_word(quantity: str) -> str:
    """A quantity as a unit's name and the ranking table say it: hidden, cell, or the gate's letter."""
    if quantity == "hidden":
        return pgettext("quantity", "hidden")
    if quantity == "cell":
        return pgettext("quantity", "cell")
    return quantity


def direction_word(direction: int) -> str:
    return _("backward") if direction else _("forward")


# ---------------------------------------------------------------------------------------------
# the corpus sample and every unit's series


def corpus_pieces(task: str, chars: int, *, piece: int = SAMPLE_PIECE) -> list[str]:
    """About `chars` characters of the task's held-out text (validation + test: text the model
    never trained on), as pieces of whole lines from evenly spaced places, so one file's
    peculiarity (the Python corpus's held-out part opens with codec tables) does not make the
    whole sample. Python pieces start and end at a `def` or `class` line, where no string or
    bracket is open, so "inside quotes" and "bracket depth" read each piece from a known state.
    A `def` line can also sit inside a string literal (a doctest in a triple-quoted string): a
    piece that would end with a string or bracket still open ends at a later `def` line instead,
    or is left out."""
    text = corpus_text(task)
    bounds = split_bounds(len(text))
    start, stop = bounds["val"][0], bounds["test"][1]
    starts = PIECE_STARTS.get(task, re.compile("\n"))
    parts = []
    for offset in np.linspace(start, stop - 8 * piece, max(1, chars // piece)).astype(int):
        found = starts.search(text, offset, stop)
        begin = found.end() if found else offset
        if task not in PIECE_STARTS:  # prose: any line ends a piece
            after = starts.search(text, begin + piece // 2, begin + 4 * piece)  # the next line past half a piece
            end = after.end() if after else text.rfind("\n", begin, begin + piece) + 1 or begin + piece
            parts.append(text[begin:end])
            continue
        # the boundaries past half a piece, nearest first, until the piece closes what it opened
        for after in starts.finditer(text, begin + piece // 2, begin + 4 * piece):
            if closed(text[begin:after.end()]):
                parts.append(text[begin:after.end()])
                break
    return parts


def corpus_sample(task: str, chars: int, *, piece: int = SAMPLE_PIECE) -> str:
    """About `chars` characters of the task's held-out text, in whole pieces (`corpus_pieces`), as one string."""
    return "".join(corpus_pieces(task, chars, piece=piece))


def closed(code: str) -> bool:
    """Whether Python source ends with no string open and its bracket depth back at 0, as the features read it."""
    if not code:
        return False
    string, comment = python_spans(code)  # read once for both features
    return string[-1] == 0 and _depth(code, np.logical_or(string, comment))[-1] == 0


@dataclass(frozen=True)
class UnitSeries:
    """Every unit of a trace as a column: values [T, N] with the labels of each column."""

    values: np.ndarray  # [T, N] float32
    quantity: np.ndarray  # [N] str: hidden, cell, or a gate letter
    layer: np.ndarray  # [N] int
    direction: np.ndarray  # [N] int
    unit: np.ndarray  # [N] int

    def column(self, quantity: str, layer: int, direction: int, unit: int) -> int:
        hit = np.flatnonzero((self.quantity == quantity) & (self.layer == layer) & (self.direction == direction)
                             & (self.unit == unit))
        if not hit.size:
            raise ProbeError(_("There is no unit {unit} of {quantity} in layer {layer}, direction {direction}.")
                             .format(unit=unit, quantity=quantity, layer=layer, direction=direction))
        return int(hit[0])

    def select(self, quantity: str) -> UnitSeries:
        keep = self.quantity == quantity
        return UnitSeries(self.values[:, keep], self.quantity[keep], self.layer[keep], self.direction[keep],
                          self.unit[keep])

    def name(self, column: int) -> str:
        """'f unit 3, layer 0' ('… layer 0 backward'): a unit as figures, tables and sentences name it."""
        name = (_("{quantity} unit {unit}, layer {layer} backward") if self.direction[column]
                else _("{quantity} unit {unit}, layer {layer}"))
        return name.format(quantity=quantity_word(str(self.quantity[column])), unit=self.unit[column],
                           layer=self.layer[column])


def quantities(tr: Trace) -> list[str]:
    """What a trace holds per unit, in display order: hidden, cell (LSTM), then each gate."""
    return ["hidden"] + (["cell"] if tr.cell is not None else []) + list(tr.gates)


def unit_series(tr: Trace) -> UnitSeries:
    """Stack hidden, cell and every gate of every layer and direction into columns [T, N]."""
    blocks, labels = [], []
    layers, dirs, steps, size = tr.hidden.shape
    for quantity in quantities(tr):
        arr = tr.hidden if quantity == "hidden" else tr.cell if quantity == "cell" else tr.gates[quantity]
        blocks.append(arr.transpose(2, 0, 1, 3).reshape(steps, -1))  # [T, L*D*H], unit fastest
        labels.append(np.full(layers * dirs * size, quantity))
    grid = np.indices((layers, dirs, size)).reshape(3, -1)  # [3, L*D*H] layer, direction, unit
    count = len(blocks)
    return UnitSeries(values=np.concatenate(blocks, axis=1).astype(np.float32),
                      quantity=np.concatenate(labels), layer=np.tile(grid[0], count),
                      direction=np.tile(grid[1], count), unit=np.tile(grid[2], count))


def keep_torch_threads() -> None:
    """Re-apply torch's thread count in the calling thread. Streamlit runs each script in a fresh
    thread, whose OpenMP/MKL (LAPACK) default is every core, and a small SVD on cores that other
    sessions are using then waits for all of them."""
    torch.set_num_threads(torch.get_num_threads())


def correlations(values: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson r of every column of values [T, N] with feature [T], vectorised; a constant column
    gets r = 0 (it tracks nothing). The products run in torch, which the app keeps on one thread:
    numpy's BLAS spins two threads that stall each other when other sessions share the cores."""
    feature = np.asarray(feature, dtype=np.float64)
    centred_f = feature - feature.mean()
    norm_f = float(np.sqrt(centred_f @ centred_f))
    if values.shape[0] < 3 or norm_f == 0:
        raise ProbeError(_("The feature has the same value at every character of this text, so no unit can "
                           "follow it; pick another feature or a text where it changes."))
    keep_torch_threads()
    columns = torch.tensor(values, dtype=torch.float32)  # [T, N], a copy: the caller's array may be read-only
    centred = columns - columns.mean(dim=0)  # [T, N]
    norms = torch.linalg.vector_norm(centred, dim=0).double().numpy()  # [N]
    r = (torch.from_numpy(centred_f.astype(np.float32)) @ centred).double().numpy() / np.where(norms > 0, norms, 1.0)
    return np.where(norms > 1e-6 * np.sqrt(values.shape[0]), r / norm_f, 0.0)


@dataclass(frozen=True)
class Ranking:
    """Units ordered by |r| with the feature, best first."""

    order: np.ndarray  # [N] column indices into the UnitSeries
    r: np.ndarray  # [N] r of each column (unordered; index with `order`)

    def rows(self, series: UnitSeries, top: int) -> list[dict]:
        return [{"rank": k + 1, "quantity": str(series.quantity[c]), "layer": int(series.layer[c]),
                 "direction": "backward" if series.direction[c] else "forward", "unit": int(series.unit[c]),
                 "r": round(float(self.r[c]), 3)} for k, c in enumerate(self.order[:top])]


def rank_units(series: UnitSeries, feature: np.ndarray) -> Ranking:
    """Every column of `series` ranked by |Pearson r| with `feature` (ties: lower column first)."""
    if len(feature) != series.values.shape[0]:
        raise ProbeError(_("The feature has {n} values but the trace {steps} steps.")
                         .format(n=len(feature), steps=series.values.shape[0]))
    r = correlations(series.values, feature)
    return Ranking(order=np.argsort(-np.abs(r), kind="stable"), r=r)


# ---------------------------------------------------------------------------------------------
# which feature a model has a strong unit for

# Features whose value depends on characters read before, not only the current one: a unit that
# tracks one of these carries something in its state, which is what a student opens the page to see.
MEMORY_FEATURES = ("brackets", "quotes", "indent", "word", "line")
STRONG_R = 0.5  # |r| from which a unit is said to follow a feature


def best_units(series: UnitSeries, text: str, *, code: bool = False) -> list[dict]:
    """The best unit for each feature of FEATURES over `text` (the text `series` was traced on; `code`:
    Python source, see CODE_FEATURES), as
    {"feature", "quantity", "layer", "direction", "unit", "r"}, strongest |r| first. A feature that
    is constant over the text (no quotes in English) has no unit and is left out."""
    found = []
    for feature in FEATURES:
        try:
            ranking = rank_units(series, feature_values(feature, text, code=code))
        except ProbeError:
            continue
        best = int(ranking.order[0])
        found.append({"feature": feature, "quantity": str(series.quantity[best]), "layer": int(series.layer[best]),
                      "direction": int(series.direction[best]), "unit": int(series.unit[best]),
                      "r": float(ranking.r[best])})
    return sorted(found, key=lambda row: -abs(row["r"]))


def opening_feature(best: list[dict], fallback: str = "brackets") -> str:
    """The feature to open on, from rows like best_units' (a model's precomputed list will do): the
    memory feature whose best unit is strongest, if it reaches STRONG_R; else the strongest feature
    of all (a unit that only echoes the current character is better than none)."""
    known = [row for row in best if row.get("feature") in FEATURES]
    if not known:
        return fallback
    strongest = max(known, key=lambda row: abs(row["r"]))
    memory = [row for row in known if row["feature"] in MEMORY_FEATURES]
    if memory and abs(max(memory, key=lambda row: abs(row["r"]))["r"]) >= STRONG_R:
        strongest = max(memory, key=lambda row: abs(row["r"]))
    return strongest["feature"]


def follows_sentence(*, unit_name: str, feature_name: str, r: float, rank: int, characters: int) -> str:
    """One sentence on how closely a unit follows a feature, from its r: what the probe figure shows."""
    who = _("the best unit") if rank == 1 else _("unit #{rank} of the ranking").format(rank=rank)
    values = dict(who=who, unit=unit_name, feature=feature_name, r=f"{r:+.2f}", n=f"{characters:,}")
    if abs(r) < 0.3:
        return _("No unit follows “{feature}” closely over these {n} characters: {who}, {unit}, reaches only "
                 "r = {r}, so the blue line and the grey area barely move together.").format(**values)
    if abs(r) >= STRONG_R:
        sentence = (_("{who}, {unit}, follows “{feature}” closely (r = {r} over {n} characters): its blue line "
                      "rises where the grey area rises.") if r > 0 else
                    _("{who}, {unit}, follows “{feature}” closely (r = {r} over {n} characters): its blue line "
                      "falls where the grey area rises."))
    else:
        sentence = (_("{who}, {unit}, follows “{feature}” loosely (r = {r} over {n} characters): its blue line "
                      "rises where the grey area rises.") if r > 0 else
                    _("{who}, {unit}, follows “{feature}” loosely (r = {r} over {n} characters): its blue line "
                      "falls where the grey area rises."))
    sentence = sentence.format(**values)
    return sentence[0].upper() + sentence[1:]


RARE_CHARACTERS = 30  # fewer characters than this on one side of a yes/no feature: too few for r to mean much


def rare_feature_sentence(values: np.ndarray, feature_name: str) -> str | None:
    """A warning when a yes/no feature (inside quotes, a vowel, a regex match) holds on very few characters of
    the sample, or on nearly all: r then rests on a handful of them. None when there are enough, or when the
    feature takes more than two values (a depth, a position)."""
    values = np.asarray(values)
    if not np.isin(values, (0, 1)).all():
        return None
    yes = int(values.sum())
    few = min(yes, len(values) - yes)
    if few >= RARE_CHARACTERS:
        return None
    sentence = (_("Only {n} of the {total} characters of the sample are “{feature}”: a correlation over so few says "
                  "little. A larger corpus sample (in the sidebar) holds more.") if few == yes else
                _("All but {n} of the {total} characters of the sample are “{feature}”: a correlation over so few "
                  "exceptions says little. A larger corpus sample (in the sidebar) holds more."))
    return sentence.format(n=few, total=f"{len(values):,}", feature=feature_name)
