"""Exact maths, torch only: the cells' step equations (the readable reference), the models, the vocabulary,
trace() (every state and gate), bptt() (gradients through time) and sampling. Imports nothing else of explorer."""
