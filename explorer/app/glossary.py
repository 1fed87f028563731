"""The course's words: each term in both languages, its symbol, one line on what it means, and the view
that shows it. The Chinese column is the zh catalogue's translation of the English term, so the glossary
and every page use the same words."""
from __future__ import annotations

from dataclasses import dataclass, field

from explorer.i18n import N_


@dataclass(frozen=True)
class Term:
    term: str  # English; the catalogues hold the other languages
    symbol: str  # LaTeX, in the course's notation (PyTorch's name after a slash where it differs)
    meaning: str
    page: str
    params: dict = field(default_factory=dict)


TERMS = (
    Term(N_("hidden state"), r"h_t", N_("what the net carries from one step to the next: its whole memory"),
         "pages/inspect.py", {"model": "english-rnn", "show": "hidden"}),
    Term(N_("input"), r"x_t", N_("the current character, as a one-hot vector or an embedding"),
         "pages/embedding.py"),
    Term(N_("output"), r"y_t",
         N_("the net's answer at step t; for a char-RNN, the probabilities of the next character"),
         "pages/inspect.py", {"model": "english-lstm", "show": "guesses,surprise"}),
    Term(N_("input weights"), r"U \;/\; W_{ih}", N_("turn the input into the hidden layer's units"), "pages/home.py"),
    Term(N_("recurrent weights"), r"W \;/\; W_{hh}",
         N_("carry the last hidden state into this step; their size decides whether gradients vanish or explode"),
         "pages/gradients.py", {"set": "same"}),
    Term(N_("output layer"), r"V,\ c", N_("turns the hidden state into the output: y_t = softmax(V h_t + c)"),
         "pages/home.py"),
    Term(N_("activation function"), r"\tanh,\ \sigma",
         N_("squashes each unit: tanh to (−1, 1), the sigmoid σ to (0, 1)"),
         "pages/home.py"),
    Term(N_("forget gate"), r"f_t", N_("how much of the old cell state each unit keeps (1 keeps all, 0 forgets)"),
         "pages/inspect.py", {"model": "english-lstm", "show": "f,cell"}),
    Term(N_("input gate"), r"i_t", N_("how much of the new candidate each unit writes into the cell state"),
         "pages/inspect.py", {"model": "english-lstm", "show": "i,g"}),
    Term(N_("output gate"), r"o_t", N_("how much of the squashed cell state each unit shows as h_t"),
         "pages/inspect.py", {"model": "english-lstm", "show": "o,hidden"}),
    Term(N_("candidate memory"), r"g_t = \tilde c_t", N_("what the LSTM could write into its cell state at this step"),
         "pages/inspect.py", {"model": "english-lstm", "show": "g"}),
    Term(N_("cell state"), r"c_t", N_("the LSTM's long-term memory, changed only by the forget and input gates"),
         "pages/inspect.py", {"model": "english-lstm", "show": "f,i,o,cell"}),
    Term(N_("reset gate"), r"r_t", N_("how much of the last state the GRU's candidate reads"),
         "pages/inspect.py", {"model": "english-gru", "show": "r"}),
    Term(N_("update gate"), r"z_t", N_("how much of the last state the GRU keeps instead of the candidate"),
         "pages/inspect.py", {"model": "english-gru", "show": "z"}),
    Term(N_("backpropagation through time"), r"\mathrm{BPTT}",
         N_("the chain rule run backwards through every step of the unrolled net"), "pages/gradients.py"),
    Term(N_("vanishing gradient"), r"\lVert \partial L / \partial h_t \rVert \to 0",
         N_("the gradient shrinks at every step back, so early inputs stop teaching the net"),
         "pages/gradients.py", {"set": "same", "loss": "last"}),
    Term(N_("exploding gradient"), r"\lVert \partial L / \partial h_t \rVert \to \infty",
         N_("the gradient grows at every step back until training jumps off course"), "pages/train.py"),
    Term(N_("gradient clipping"), r"g \leftarrow g \cdot \min(1, \tau / \lVert g \rVert)",
         N_("scale the whole gradient down when its norm passes a threshold"), "pages/train.py"),
    Term(N_("one-hot encoding"), r"x_t \in \{0, 1\}^{|V|}",
         N_("one position per character: 1 for this one, 0 elsewhere"),
         "pages/embedding.py"),
    Term(N_("embedding"), r"E x_t", N_("a learned dense vector per character; characters used alike end up close"),
         "pages/embedding.py"),
    Term(N_("many-to-many (N vs N)"), r"x_{1..T} \to y_{1..T}", N_("an output at every step, as a char-RNN's next-"
                                                                   "character guesses"),
         "pages/inspect.py", {"model": "english-lstm", "show": "guesses,surprise"}),
    Term(N_("many-to-one (N vs 1)"), r"x_{1..T} \to y_T",
         N_("one output after the last step, as a sentence's sentiment"),
         "pages/sentiment.py"),
    Term(N_("one-to-many (1 vs N)"), r"x_1 \to y_{1..T}", N_("one input, then the net writes a whole sequence"),
         "pages/one_to_many.py"),
    Term(N_("encoder-decoder (N vs M)"), r"x_{1..T} \to s \to y_{1..T'}",
         N_("one net squeezes the input into a state, another writes an output of another length"),
         "pages/seq2seq.py"),
    Term(N_("deep (stacked) RNN"), r"h_t^{(l)}", N_("each layer reads the hidden states of the layer below"),
         "pages/deep.py"),
    Term(N_("bidirectional RNN"), r"\overrightarrow{h}_t,\ \overleftarrow{h}_t",
         N_("one chain reads forwards, another backwards, and the output sees both"), "pages/deep.py"),
    Term(N_("Elman network"), r"h_{t-1} \to h_t", N_("the simple RNN: feeds back its hidden state"), "pages/jordan.py"),
    Term(N_("Jordan network"), r"y_{t-1} \to h_t", N_("feeds back its last output instead of its hidden state"),
         "pages/jordan.py"),
    Term(N_("sliding window"), r"x_{t-k+1..t} \to x_{t+1}", N_("the last k values in, the next value out, then slide "
                                                               "one step"),
         "pages/series.py"),
    Term(N_("temperature"), r"\mathrm{softmax}(z / T)", N_("divides the scores before sampling: low is safe and "
                                                          "repetitive, high is surprising"),
         "pages/generate.py"),
    Term(N_("bits per character"), r"-\log_2 p(x_{t+1})",
         N_("how surprised the model is by each next character, on average; lower is better"), "pages/home.py"),
)
