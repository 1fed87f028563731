"""Encoder-decoder: a date written in words goes in, the same date in digits comes out.

    model.py       Seq2SeqConfig, Seq2Seq, greedy decoding, and the trace of encoder, handed-over state, decoder
    training.py    a fresh model, teacher-forced training, exact-match scoring
    checkpoint.py  saving and loading through explorer.zoo's checkpoint helpers (kind "seq2seq")
    recipes.py     the zoo recipes (dates-lstm) and rebuilding one

The task (dates in words, their ISO form, the splits) lives in explorer.tasks.dates. Importing
this package registers the "seq2seq" kind with explorer.zoo, so the zoo lists, loads and builds
these models without importing this package itself.
"""
from explorer import zoo
from explorer.seq2seq.checkpoint import KIND, load_checkpoint, read_meta, save, sidecar
from explorer.seq2seq.model import (
                                    MAX_ANSWER,
                                    Seq2Seq,
                                    Seq2SeqConfig,
                                    Seq2SeqTrace,
                                    decoder_inputs,
                                    encode_sources,
                                    greedy_decode,
                                    trace_seq2seq,
)
from explorer.seq2seq.recipes import RECIPES, Seq2SeqRecipe, build
from explorer.seq2seq.training import new_model, score, train
from explorer.tasks.dates import END, FORM, START, date_words, parse_date  # the Encoder-decoder page reads them here

zoo.register_kind(KIND, load_checkpoint=load_checkpoint, recipes=RECIPES, build=build)

__all__ = ["END", "FORM", "KIND", "MAX_ANSWER", "RECIPES", "START", "Seq2Seq", "Seq2SeqConfig", "Seq2SeqRecipe",
           "Seq2SeqTrace", "build", "date_words", "decoder_inputs", "encode_sources", "greedy_decode",
           "load_checkpoint", "new_model", "parse_date", "read_meta", "save", "score", "sidecar", "trace_seq2seq",
           "train"]
