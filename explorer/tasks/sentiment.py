"""Toy sentiment: read a short review character by character, say positive or negative at the end.

The sentences come from a small grammar written for this project, so the true label is known by
rule and the rules are ones a reader can check against the network's hidden state:
- a clause is positive or negative by its adjective: "the movie was good" -> positive;
- "not" / "never" flip it: "the movie was not good" -> negative; intensifiers ("very") change nothing;
- in "A, but B" the clause after "but" decides; in "although A, B" and "B, although A" B decides.
Two-clause sentences always contrast (A and B disagree), so counting happy words is not enough.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from explorer.engine.vocab import Vocab
from explorer.i18n import N_, _
from explorer.tasks.base import Batch, Task

SUBJECTS = ("the movie", "the film", "the plot", "the acting", "the story",
            "the music", "the ending", "the cast", "the script", "the dialogue")
VERBS = ("was", "is")
POSITIVE = ("good", "great", "wonderful", "brilliant", "funny", "moving", "charming", "clever", "beautiful", "fun")
NEGATIVE = ("bad", "awful", "boring", "dull", "terrible", "weak", "poor", "bland", "messy", "tedious")
INTENSIFIERS = ("very", "really", "truly", "so", "quite")
NEGATIONS = ("not", "never")
JOINERS = ("but", "although")
# The sentence forms: {decisive} is the clause that carries the label, {other} one that says the opposite.
FORMS = ("{decisive}", "{other}, but {decisive}", "although {other}, {decisive}", "{decisive}, although {other}")
FORM_UPTO = (0.4, 0.6, 0.8, 1.0)  # generate() takes the first form whose bound a uniform draw is below
WORDS = frozenset(" ".join(SUBJECTS + VERBS + NEGATIONS + INTENSIFIERS + POSITIVE + NEGATIVE + JOINERS).split())
PAD = "_"

LONGEST_CLAUSE = sum(max(map(len, words)) + 1
                     for words in (SUBJECTS, VERBS, NEGATIONS, INTENSIFIERS, POSITIVE + NEGATIVE)) - 1
LONGEST_SENTENCE = 2 * LONGEST_CLAUSE + len(", although ")  # the longest joiner any form uses


def _clause_label(clause: str) -> int:
    words = clause.split()
    adjectives = [w for w in words if w in POSITIVE or w in NEGATIVE]
    if len(adjectives) != 1:
        raise ValueError(_("a clause needs exactly one adjective from the lexicon; {clause} has {n}.").format(
            clause=repr(clause), n=len(adjectives)))
    flipped = sum(w in NEGATIONS for w in words) % 2 == 1
    return int((adjectives[0] in POSITIVE) != flipped)


def label_of(sentence: str) -> int:
    """1 positive, 0 negative, by the grammar's rules. Raises ValueError on a sentence it cannot parse."""
    s = sentence.strip().lower()
    if s.startswith("although "):
        _before, comma, main = s.partition(", ")
        if not comma:
            raise ValueError(_("'although A, B' needs a comma before the main clause: {sentence}.").format(
                sentence=repr(sentence)))
        return _clause_label(main)
    if ", but " in s:
        return _clause_label(s.split(", but ")[-1])
    if ", although " in s:
        return _clause_label(s.split(", although ")[0])
    return _clause_label(s)


def _clause(rng: random.Random, positive: bool) -> str:
    negated = rng.random() < 0.35
    words = [rng.choice(SUBJECTS), rng.choice(VERBS)]
    if negated:
        words.append(rng.choice(NEGATIONS))
    if rng.random() < 0.35:
        words.append(rng.choice(INTENSIFIERS))
    # a negated clause needs the opposite adjective
    words.append(rng.choice(POSITIVE if positive != negated else NEGATIVE))
    return " ".join(words)


def generate(n: int, generator: torch.Generator) -> list[tuple[str, int]]:
    """n (sentence, label) pairs; labels are a fair coin, so the classes are balanced."""
    rng = random.Random(int(torch.randint(0, 2**62, (1,), generator=generator)))  # seeded from the caller's generator
    out = []
    for _sample in range(n):
        label = rng.random() < 0.5
        decisive, other = _clause(rng, label), _clause(rng, not label)
        form = rng.random()
        template = FORMS[next(i for i, upto in enumerate(FORM_UPTO) if form < upto)]
        out.append((template.format(decisive=decisive, other=other), int(label)))
    return out


@dataclass
class SentimentTask(Task):
    """Many-to-one classification of a generated review.

    A sample: x = "____...____the plot was bad, but the acting was great" as character ids, left-padded
    with "_" to seq_len so the sentence ends on the last step, the one the last-step head reads
    (right padding would make the net carry its verdict across a run of pads); y = 1 (positive).
    seq_len cannot be shorter than the longest sentence the grammar makes (LONGEST_SENTENCE, 89).
    """

    name = "sentiment"
    title = N_("Toy sentiment: is a generated review positive or negative? (negation, 'but', 'although')")
    input_kind = "tokens"
    output_kind = "classes"
    output_size = 2
    output_labels = (N_("negative"), N_("positive"))  # English in code: shown with _()
    head = "last_step"
    metric_name = "accuracy"
    higher_is_better = True
    default_seq_len = LONGEST_SENTENCE
    min_seq_len = LONGEST_SENTENCE  # every sentence fits, so the label never depends on cropping
    max_seq_len = 256

    def __post_init__(self):
        lexicon = " ".join(sorted(WORDS)) + ","
        self.vocab = Vocab.from_chars(PAD + "".join(sorted(set(lexicon))))
        self.input_size = len(self.vocab)

    def batch(self, split: str, batch_size: int, seq_len: int, generator: torch.Generator) -> Batch:
        self.check_request(split, batch_size, seq_len)
        pairs = generate(batch_size, generator)
        x = torch.stack([self.vocab.encode(s.rjust(seq_len, PAD)).ids for s, _label in pairs])  # (B, T)
        y = torch.tensor([label for _sentence, label in pairs], dtype=torch.long)  # (B,)
        return Batch(x=x, y=y)

    def baseline(self) -> tuple[float, str]:
        return 0.5, _("Always predicting one class is right half the time: labels are a fair coin by construction.")

    def describe(self, batch: Batch, index: int = 0) -> dict:
        padded = self.vocab.decode(batch.x[index])
        return {"sentence": padded.lstrip(PAD), "input": padded, "target": self.output_labels[int(batch.y[index])]}
