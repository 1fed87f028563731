"""The encoder-decoder's task: a date written in words, and the same date in ISO digits.

    "the twenty-third of november, two thousand and twenty-six"  ->  "2026-11-23"

The data are our own: every date from 1900-01-01 to 2099-12-31 written out by `date_words`; a
date's ordinal picks its split, so the held-out dates were never seen in training. Not in the
task registry: a Task feeds one network a fixed-length batch, while here sources and answers are
strings of different lengths for an encoder and a decoder (explorer.seq2seq trains on them).
"""
from __future__ import annotations

import datetime as dt
import functools
import re

import numpy as np
import torch

from explorer.engine.vocab import Vocab
from explorer.i18n import N_, _
from explorer.tasks.base import check_split

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_FIRST_ORDINALS = ("", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                   "tenth", "eleventh", "twelfth")
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2099, 12, 31)

START, END = "\u2402", "\u2403"  # the control pictures for start and end of text
TARGET_CHARS = "0123456789-"


def number_words(n: int) -> str:
    """1..99 in words: 'seven', 'nineteen', 'twenty-six'."""
    if n < 20:
        return _ONES[n]
    return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")


def ordinal_words(n: int) -> str:
    """1..31 as an ordinal: 'first', 'twelfth', 'twentieth', 'twenty-third'."""
    if n < len(_FIRST_ORDINALS):
        return _FIRST_ORDINALS[n]
    if n < 20:
        return _ONES[n] + "th"
    if n % 10 == 0:
        return _TENS[n // 10][:-1] + "ieth"  # twenty -> twentieth
    return _TENS[n // 10] + "-" + _FIRST_ORDINALS[n % 10]


def year_words(year: int) -> str:
    """1900..2099 as people say them: 'nineteen oh five', 'nineteen eighty-four', 'two thousand and six'."""
    if year < 2000:
        rest = year - 1900
        return "nineteen " + ("hundred" if rest == 0 else "oh " + _ONES[rest] if rest < 10 else number_words(rest))
    rest = year - 2000
    return "two thousand" + (" and " + number_words(rest) if rest else "")


def date_words(day: dt.date) -> str:
    return f"the {ordinal_words(day.day)} of {MONTHS[day.month - 1]}, {year_words(day.year)}"


_DAYS = {ordinal_words(d): d for d in range(1, 32)}
_YEARS = {year_words(y): y for y in range(FIRST_DATE.year, LAST_DATE.year + 1)}
_PATTERN = re.compile(r"the (\S+) of (\S+), (.+)")
# the form a source takes: its English words are the input itself, the <descriptions> are translated where shown
FORM = N_("the <day as an ordinal> of <month>, <year from 1900 to 2099>")


def parse_date(text: str) -> tuple[str | None, str]:
    """The true answer ('2026-11-23') for a source the generator could have written, else (None, why),
    why in the current language."""
    match = _PATTERN.fullmatch(text.strip())
    if not match:
        return None, _("it is not of the form “{form}”").format(form=_(FORM))
    day_text, month_text, year_text = match.groups()
    if day_text not in _DAYS:
        return None, _("“{day}” is not a day from first to thirty-first").format(day=day_text)
    if month_text not in MONTHS:
        return None, _("“{month}” is not a month").format(month=month_text)
    if year_text not in _YEARS:
        return None, _("“{year}” is not a year from 1900 to 2099 written as the generator writes it").format(
            year=year_text)
    try:
        day = dt.date(_YEARS[year_text], MONTHS.index(month_text) + 1, _DAYS[day_text])
    except ValueError:
        return None, _("{month} {year} has no {day} day").format(month=month_text, year=_YEARS[year_text],
                                                                 day=day_text)
    return day.isoformat(), ""


def split_days(split: str) -> np.ndarray:
    """The ordinals of every date in a split, ascending: every tenth day (by ordinal) is held out
    for test, the next one for validation."""
    check_split(split)
    days = np.arange(FIRST_DATE.toordinal(), LAST_DATE.toordinal() + 1)
    keep = {"test": days % 10 == 0, "val": days % 10 == 1}.get(split, days % 10 >= 2)
    return days[keep]


@functools.lru_cache(maxsize=3)
def _source_lengths(split: str) -> np.ndarray:
    return np.array([len(date_words(dt.date.fromordinal(int(d)))) for d in split_days(split)])


def sample_pairs(split: str, n: int, generator: torch.Generator) -> list[tuple[str, str]]:
    """n (source, target) pairs drawn with replacement from a split, all sources of one length
    (a length is picked as often as it occurs): the encoder then runs unpacked, 2-3x faster."""
    days, lengths = split_days(split), _source_lengths(split)
    first = int(torch.randint(len(days), (1,), generator=generator))
    same = np.flatnonzero(lengths == lengths[first])
    picks = same[torch.randint(len(same), (n,), generator=generator).numpy()]
    chosen = [dt.date.fromordinal(int(days[i])) for i in picks]
    return [(date_words(d), d.isoformat()) for d in chosen]


def source_vocab() -> Vocab:
    """Every character a source can hold, from the word lists themselves."""
    words = " ".join([*_DAYS, *MONTHS, *_YEARS, "the of ,"])
    return Vocab.from_text(words)


def target_vocab() -> Vocab:
    return Vocab.from_chars(TARGET_CHARS + END + START)
