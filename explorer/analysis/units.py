"""Units beyond one feature: LSTMVis's select-and-match, RNNVis-style clusters, state trajectories.

All numpy, no loops over units or steps: a corpus sample of a few thousand steps and a few
hundred units answers in milliseconds, so the page can redraw on every widget change.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from explorer.analysis.probes import ProbeError, UnitSeries, bracket_depth, inside_quotes, keep_torch_threads
from explorer.i18n import _, pgettext

# ---------------------------------------------------------------------------------------------
# match: the units "on" over a stretch of the typed text, and the corpus stretches where they are on too


def units_on(values: np.ndarray, start: int, stop: int, threshold: float) -> np.ndarray:
    """Indices of the columns of values [T, N] whose mean over steps [start, stop) exceeds `threshold`."""
    if not 0 <= start < stop <= values.shape[0]:
        raise ProbeError(_("Choose a stretch inside the text: steps {start}–{stop} are not in 0–{last}.")
                         .format(start=start, stop=stop - 1, last=values.shape[0] - 1))
    return np.flatnonzero(values[start:stop].mean(axis=0) > threshold)


def default_stretch(text: str) -> tuple[int, int]:
    """A stretch worth matching at once: the first quoted string, else the first bracketed part,
    else the first word."""
    for feature in (inside_quotes(text), bracket_depth(text)):
        inside = np.flatnonzero(feature > 0)
        if inside.size:
            start = int(inside[0])
            gaps = np.flatnonzero(feature[start:] == 0)
            return start, start + (int(gaps[0]) if gaps.size else len(text) - start)
    end = text.find(" ")
    return 0, end if end > 0 else min(len(text), 8)


def window_means(values: np.ndarray, width: int) -> np.ndarray:
    """Mean of every `width`-step window of values [T, N]: [T - width + 1, N] (cumulative sums)."""
    sums = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0, dtype=np.float64)])
    return (sums[width:] - sums[:-width]) / width


def match_stretches(values: np.ndarray, units: np.ndarray, width: int, threshold: float, *,
                    top: int = 5) -> list[dict]:
    """The `top` non-overlapping windows of `width` steps in values [T, N] where most of `units`
    are on (window mean above `threshold`); ties go to the higher mean activation of those units.
    Each: start, stop, on (how many of the units), share (of the units)."""
    units = np.asarray(units)
    if not units.size or width > values.shape[0]:
        return []
    means = window_means(values[:, units], width)  # [W, n]
    on = (means > threshold).sum(axis=1)  # [W]
    score = on + 0.5 * np.tanh(means.mean(axis=1))  # the count first; the mean (squashed below 1) breaks ties
    taken = np.zeros(values.shape[0], dtype=bool)
    found = []
    for start in np.argsort(-score, kind="stable"):
        if on[start] == 0 or len(found) == top:
            break
        if taken[start:start + width].any():
            continue
        taken[start:start + width] = True
        found.append({"start": int(start), "stop": int(start + width), "on": int(on[start]),
                      "share": float(on[start] / units.size)})
    return found


# ---------------------------------------------------------------------------------------------
# clusters of units with similar activation profiles


def standardize(values: np.ndarray) -> np.ndarray:
    """Each column to mean 0, standard deviation 1 (a constant column to all zeros)."""
    centred = values - values.mean(axis=0, dtype=np.float64)
    spread = centred.std(axis=0)
    return centred / np.where(spread > 1e-9, spread, 1.0)


def _squared_distances(points: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """[N, k] squared Euclidean distances, as one matmul (torch: one thread, see probes.correlations)."""
    return ((points * points).sum(1)[:, None] - 2 * points @ centres.T + (centres * centres).sum(1)).clamp_min(0)


def kmeans(points: np.ndarray, k: int, *, seed: int = 0, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means with k-means++ seeding from numpy's Generator(seed): points [N, D] ->
    (labels [N], centres [k, D]). The same seed gives the same clusters."""
    n = points.shape[0]
    if not 1 <= k <= n:
        raise ProbeError(_("Choose between 1 and {n} clusters.").format(n=n))
    rng = np.random.default_rng(seed)
    keep_torch_threads()
    data = torch.tensor(points, dtype=torch.float64)  # [N, D]
    chosen = [int(rng.integers(n))]
    for _pick in range(1, k):  # k-means++: a point is the next centre with probability ∝ its squared distance
        distance = _squared_distances(data, data[chosen]).min(dim=1).values.numpy()  # [N]
        total = distance.sum()
        chosen.append(int(rng.choice(n, p=distance / total)) if total > 0 else int(rng.integers(n)))
    centres = data[chosen].clone()  # [k, D]
    labels = torch.full((n,), -1)
    for _step in range(iterations):
        new = _squared_distances(data, centres).argmin(dim=1)  # [N]
        if torch.equal(new, labels):
            break
        labels = new
        for c in range(k):
            members = labels == c
            if members.any():
                centres[c] = data[members].mean(dim=0)
    return labels.numpy(), centres.numpy()


def cluster_units(values: np.ndarray, tokens, k: int, *, seed: int = 0, chars: int = 6,
                  min_count: int = 3) -> list[dict]:
    """Group the columns of values [T, N] by their standardized profiles over the steps, and
    describe each group: size, members (column indices), its mean profile [T] and its typical
    characters (those where the mean standardized activation of its members is highest, among
    characters seen at least `min_count` times). Largest cluster first."""
    z = standardize(values)  # [T, N]
    labels, _centres = kmeans(z.T.astype(np.float64), min(k, values.shape[1]), seed=seed)
    chars_seen = np.array(list(tokens))
    counts = Counter(tokens)
    common = np.array([c for c in counts if counts[c] >= min_count] or list(counts))
    where = chars_seen[:, None] == common[None, :]  # [T, C]
    clusters = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        profile = z[:, members].mean(axis=1)  # [T]
        by_char = (where * profile[:, None]).sum(axis=0) / where.sum(axis=0)  # [C] mean per character
        best = np.argsort(-by_char, kind="stable")[:chars]
        clusters.append({"members": members, "size": int(members.size), "profile": profile,
                         "chars": [(str(common[i]), float(by_char[i])) for i in best]})
    clusters.sort(key=lambda row: -row["size"])
    return clusters


def cluster_rows(clusters: list[dict], series: UnitSeries, labels: list[str], *, show=str,
                 members: int = 8) -> list[dict]:
    """A table row per cluster, headed in the current language: its label, size, typical characters (written
    by `show`) with their standardized activation, and its first `members` units (with their layer when there
    are several)."""
    layered = len(set(series.layer.tolist())) > 1
    member = _("unit {unit} L{layer}") if layered else _("unit {unit}")
    heads = _("cluster"), _("units"), _("typical characters"), _("members")
    return [dict(zip(heads, (
        label, group["size"], "  ".join(f"{show(c)} ({z:+.1f})" for c, z in group["chars"]),
        ", ".join(member.format(unit=series.unit[c], layer=series.layer[c]) for c in group["members"][:members])
        + (" …" if group["size"] > members else ""))))
        for label, group in zip(labels, clusters)]


def frequent_chars(text: str, count: int) -> list[str]:
    """The `count` most frequent characters of `text`, most frequent first (ties: first seen)."""
    return [c for c, _count in Counter(text).most_common(count)]


def char_profile_matrix(clusters: list[dict], tokens, chars: list[str]) -> np.ndarray:
    """Mean standardized activation of each cluster at each of `chars`: [clusters, chars]."""
    seen = np.array(list(tokens))
    where = seen[:, None] == np.array(chars)[None, :]  # [T, C]
    counts = np.maximum(where.sum(axis=0), 1)
    return np.array([(where * row["profile"][:, None]).sum(axis=0) / counts for row in clusters])


# ---------------------------------------------------------------------------------------------
# trajectories


def pca(states: np.ndarray, components: int) -> tuple[np.ndarray, np.ndarray]:
    """Principal components of states [T, H] by SVD: (coordinates [T, components], explained
    variance ratio [components]). Signs fixed so each component's largest loading is positive."""
    steps = states.shape[0]
    if steps < 2:
        raise ProbeError(_("A trajectory needs at least two characters; type a longer text."))
    keep_torch_threads()
    centred = torch.tensor(states, dtype=torch.float64)
    centred -= centred.mean(dim=0)  # [T, H]
    u, s, vt = (a.numpy() for a in torch.linalg.svd(centred, full_matrices=False))  # torch: one thread
    k = min(components, vt.shape[0])
    signs = np.sign(vt[np.arange(k), np.abs(vt[:k]).argmax(axis=1)])  # [k]: a deterministic orientation
    coords = u[:, :k] * s[:k] * signs  # [T, k]
    total = float((s ** 2).sum())
    ratio = (s[:k] ** 2) / total if total > 0 else np.zeros(k)
    if k < components:  # fewer steps than components: pad with zeros so a 3-D view still draws
        coords = np.pad(coords, ((0, 0), (0, components - k)))
        ratio = np.pad(ratio, (0, components - k))
    return coords, ratio


# ---------------------------------------------------------------------------------------------
# what each view's picture shows, in one sentence computed from its numbers


def match_sentence(*, on: int, total: int, quantity_name: str, matches: list[dict]) -> str:
    """The match view: how many units are on over the selection, and how many the best corpus stretch shares."""
    if not matches:
        return _("{on} of {total} {quantity} units are on over your selection; the corpus stretches below are "
                 "where most of them are on together: there are none.").format(on=on, total=total,
                                                                               quantity=quantity_name)
    return _("{on} of {total} {quantity} units are on over your selection; the corpus stretches below are where "
             "most of them are on together (the best: {best} of {on}).").format(
        on=on, total=total, quantity=quantity_name, best=matches[0]["on"])


def cluster_sentence(*, groups: list[dict], total: int, labels: list[str]) -> str:
    """The clusters view: what the largest cluster responds to most (`labels`: its typical characters, shown)."""
    top = groups[0]
    return _("The largest cluster, {size} of {total} units, is most active reading {chars} ({z} standard "
             "deviations at the first); each row is one cluster.").format(
        size=top["size"], total=total, chars=pgettext("list", ", ").join(labels[:3]), z=f"{top['chars'][0][1]:+.1f}")


def trajectory_sentence(ratio: np.ndarray) -> str:
    """The trajectory view: how much of the state's variation the drawn components hold."""
    return _("Each point is the hidden state after one character, joined in reading order; these {n} principal "
             "components hold {share} of how it varies over your text, so similar contexts land close together "
             "only as far as that share goes.").format(n=len(ratio), share=f"{float(np.sum(ratio)):.0%}")


def intervention_for(series: UnitSeries, columns, column: int, *, most: int = 5) -> dict:
    """The Intervene page's view that tests a unit found here with its fellows (the `columns` of the same
    quantity, layer and direction, `most` of them): clamp a gate's units shut, or ablate state units."""
    quantity, layer, direction = str(series.quantity[column]), int(series.layer[column]), series.direction[column]
    same = [int(series.unit[c]) for c in columns
            if series.quantity[c] == quantity and series.layer[c] == layer and series.direction[c] == direction]
    gate = quantity in ("i", "f", "g", "o", "r", "z", "n")
    return {"layer": layer, "units": ",".join(map(str, same[:most])), "kind": "clamp" if gate else "ablate",
            **({"gate": quantity, "value": 0} if gate else {})}
