"""What to look at first in a traced text or a generated one: the step where a view says the most,
found from the numbers, and one sentence that points at it.

Inspect and Generate open on a picture and one sentence; the sentence names the step and the value
that make the picture's point on this text (the forget gate at its lowest, the state's biggest jump,
the most surprising character, the least likely character written), so what it claims is what the
picture shows. Numpy in, small dicts and plain-text strings out (the page escapes them for markup).
"""
from __future__ import annotations

import numpy as np

from explorer.i18n import _, ngettext

LN2 = float(np.log(2.0))
VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}  # as the figures' tick labels show whitespace


def char_label(ch: str) -> str:
    return VISIBLE.get(ch, ch)


def number_runs(numbers, shortest: int = 2) -> str:
    """Ascending whole numbers as runs: runs of at least `shortest` shortened to "first–last", the rest listed.
    [1, 2, 3, 5] -> "1–3, 5"; with shortest=3, [3, 4, 7] -> "3, 4, 7"."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) >= shortest else ", ".join(map(str, run)) for run in runs)


def _quoted(ch: str) -> str:
    return f"“{char_label(ch)}”"


def gate_low(gate: np.ndarray, *, first_step: bool = True) -> dict:
    """The step where a gate [T, H] averaged over its units is lowest: {"step", "value", "mean"} (mean:
    over every step and unit). The text's first step is left out (`first_step`): there is no earlier
    state to keep, so what a gate does there says nothing."""
    per_step = np.asarray(gate, dtype=np.float64).mean(axis=1)  # [T]
    skip = 1 if first_step and per_step.size > 1 else 0
    step = int(np.argmin(per_step[skip:])) + skip
    return {"step": step, "value": float(per_step[step]), "mean": float(per_step.mean())}


def forget_sentence(forget: np.ndarray, tokens, start: int = 0) -> str:
    """The LSTM's forget gate f [T, H]: where it closes most, against its mean."""
    low = gate_low(forget, first_step=start == 0)
    units = forget.shape[1]
    said = ngettext("Watch the forget gate f close at {char} (step {step}): its mean over {units} unit falls to "
                    "{value:.2f}, against {mean:.2f} overall.",
                    "Watch the forget gate f close at {char} (step {step}): its mean over {units} units falls to "
                    "{value:.2f}, against {mean:.2f} overall.", units)
    return said.format(char=_quoted(tokens[start + low["step"]]), step=start + low["step"], units=units,
                       value=low["value"], mean=low["mean"])


def update_sentence(update: np.ndarray, tokens, start: int = 0) -> str:
    """The GRU's update gate z [T, H] (PyTorch: h_t = (1 - z) n + z h_{t-1}): where it lets most new in."""
    low = gate_low(update, first_step=start == 0)
    return _("Watch the update gate z fall to {value:.2f} at {char} (step {step}), against {mean:.2f} overall: "
             "there the new candidate replaces most of h.").format(value=low["value"],
                                                                   char=_quoted(tokens[start + low["step"]]),
                                                                   step=start + low["step"], mean=low["mean"])


def gate_sentence(name: str, gate: np.ndarray, tokens, start: int = 0) -> str:
    """Any other sigmoid gate [T, H] (`name` as figures name it, e.g. "input gate i"): where it is most shut."""
    low = gate_low(gate, first_step=start == 0)
    units = gate.shape[1]
    said = ngettext("Watch the {gate} shut most at {char} (step {step}): its mean over {units} unit falls to "
                    "{value:.2f}, against {mean:.2f} overall.",
                    "Watch the {gate} shut most at {char} (step {step}): its mean over {units} units falls to "
                    "{value:.2f}, against {mean:.2f} overall.", units)
    return said.format(gate=name, char=_quoted(tokens[start + low["step"]]), step=start + low["step"], units=units,
                       value=low["value"], mean=low["mean"])


def biggest_change(states: np.ndarray) -> dict:
    """The step where a state [T, H] moves most from the step before: {"step", "size" (||s_t - s_{t-1}||),
    "mean" (the mean size of a step's move)}; step 0 for a one-step text."""
    states = np.asarray(states, dtype=np.float64)
    if states.shape[0] < 2:
        return {"step": 0, "size": 0.0, "mean": 0.0}
    moves = np.linalg.norm(np.diff(states, axis=0), axis=1)  # [T-1]: the move into step t + 1
    step = int(np.argmax(moves))
    return {"step": step + 1, "size": float(moves[step]), "mean": float(moves.mean())}


def same_char_likeness(states: np.ndarray, tokens) -> dict | None:
    """How alike the columns of a state [T, H] are after the same character: the most frequent
    character read (at least twice), the mean correlation between its columns, and the mean between
    columns after different characters. None when no character repeats."""
    chars, counts = np.unique(np.array(list(tokens), dtype=object).astype(str), return_counts=True)
    if counts.max(initial=0) < 2:
        return None
    ch = str(chars[np.argmax(counts)])
    centred = np.asarray(states, dtype=np.float64)
    centred = centred - centred.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    unit = centred / np.where(norms > 0, norms, 1.0)
    corr = unit @ unit.T  # [T, T]: correlation of step s's column with step t's
    read = np.array(list(tokens), dtype=object)
    same, mine = read[:, None] == read[None, :], read == ch
    pairs = np.outer(mine, mine) & ~np.eye(len(read), dtype=bool)
    return {"char": ch, "count": int(counts.max()), "same": float(corr[pairs].mean()),
            "different": float(corr[~same].mean()) if (~same).any() else 0.0}


def state_sentence(states: np.ndarray, tokens, start: int = 0, *, symbol: str = "h") -> str:
    """A state [T, H] (`symbol` h, or c for the LSTM's cell state): every column is what the net carries
    on, and columns after the same character (or token) look alike (or, with no repeated one, where the
    state moves most)."""
    words = _token_level(tokens)
    shown = list(tokens[start:start + states.shape[0]])
    alike = same_char_likeness(states, shown)
    if alike is None:
        jump = biggest_change(states)
        said = (_("Each column is {symbol}_t, all the net carries to the next token; it moves most on reading "
                  "{char} (step {step}).") if words else
                _("Each column is {symbol}_t, all the net carries to the next character; it moves most on reading "
                  "{char} (step {step})."))
        return said.format(symbol=symbol, char=_quoted(shown[jump["step"]]), step=start + jump["step"])
    alike_more = alike["same"] > alike["different"] + 0.2
    if words:
        said = (_("Each column is {symbol}_t; columns after the same token look alike: the {count} after {char} "
                  "correlate at r = {same:.2f}, other pairs at {different:.2f}.") if alike_more else
                _("Each column is {symbol}_t; columns after the same token look no more alike than others: the "
                  "{count} after {char} correlate at r = {same:.2f}, other pairs at {different:.2f}."))
    else:
        said = (_("Each column is {symbol}_t; columns after the same character look alike: the {count} after {char} "
                  "correlate at r = {same:.2f}, other pairs at {different:.2f}.") if alike_more else
                _("Each column is {symbol}_t; columns after the same character look no more alike than others: the "
                  "{count} after {char} correlate at r = {same:.2f}, other pairs at {different:.2f}."))
    return said.format(symbol=symbol, count=alike["count"], char=_quoted(alike["char"]), same=alike["same"],
                       different=alike["different"])


def _token_level(tokens) -> bool:
    """A token model's steps (explorer.engine.vocab.Tokens) are words or subwords: the sentences say "token"."""
    return bool(getattr(tokens, "token_level", False))


def most_surprising(loss: np.ndarray) -> int | None:
    """The step whose prediction of the next character cost the most (loss [T] in nats; the last step,
    which predicts nothing, is NaN). None when no step predicts anything."""
    loss = np.asarray(loss, dtype=np.float64)
    return int(np.nanargmax(loss)) if np.isfinite(loss).any() else None


def surprise_sentence(loss: np.ndarray, tokens, topk_labels, topk_probs: np.ndarray, start: int = 0) -> str:
    """The most surprising next character (or token): what the model gave it, and what it expected instead."""
    words = _token_level(tokens)
    step = most_surprising(loss)
    if step is None:
        return (_("The text is one token long, so the model has no next token to guess.") if words else
                _("The text is one character long, so the model has no next character to guess."))
    bits = float(loss[step]) / LN2
    given = float(np.exp(-loss[step]))
    before = tokens[max(0, start + step - 5):start + step + 1]
    after = (" " if words else "").join(before).replace("\n", "↵").strip()
    said = (_("The most surprising next token is {char} after “{after}” (step {step}): p = {p:.1%} ({bits:.1f} "
              "bits); the model expected {expected} ({expected_p:.0%}).") if words else
            _("The most surprising next character is {char} after “{after}” (step {step}): p = {p:.1%} ({bits:.1f} "
              "bits); the model expected {expected} ({expected_p:.0%})."))
    return said.format(char=_quoted(tokens[start + step + 1]), after=after, step=start + step, p=given, bits=bits,
                       expected=_quoted(topk_labels[step][0]), expected_p=float(topk_probs[step][0]))


def written_sentence(chosen_probs: np.ndarray, generated: str, topk_labels) -> str:
    """What the colours of a generated text show: its least likely character, and how often the model
    wrote its own first guess."""
    probs = np.asarray(chosen_probs, dtype=np.float64)
    if not probs.size:
        return _("Nothing was written.")
    low = int(np.argmin(probs))
    first = np.mean([row[0] == ch for row, ch in zip(topk_labels, generated)])
    return _("Dark characters were long shots: the model gave {char} (character {index}) only {p:.1%}; {first:.0%} "
             "of what it wrote was its own first guess.").format(char=_quoted(generated[low]), index=low + 1,
                                                                 p=probs[low], first=first)
