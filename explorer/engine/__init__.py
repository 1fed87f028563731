"""Exact maths, torch only: the cells' step equations (the readable reference), the models, the vocabulary,
trace() (every state and gate), bptt() (gradients through time) and sampling. Imports nothing else of explorer
but explorer.i18n, for the words of its error messages."""
