"""Your model in a real browser: upload a state_dict and its vocabulary, confirm the inferred
architecture, use it, and see it read text on Inspect; then a word-level model of the public
word-language-model layout, saved by torch.save, read word by word."""
import json

import pytest
import torch
from browser_helpers import SLOW, TICKS, assert_no_exception, open_page, wait_idle
from playwright.sync_api import expect
from torch import nn

from explorer.zoo import your_model

pytestmark = pytest.mark.browser


def test_upload_confirm_and_inspect_your_model(page, app_url, tmp_path):
    weights, vocab = your_model.example_files()
    (tmp_path / "my-lstm.safetensors").write_bytes(weights)
    (tmp_path / "vocab.json").write_bytes(vocab)
    open_page(page, app_url, "your_model")
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("Upload a weights file above", timeout=SLOW)
    uploads = page.locator("[data-testid='stFileUploader'] input[type='file']")
    uploads.nth(0).set_input_files(str(tmp_path / "my-lstm.safetensors"))
    # the architecture, read from the weights (the page's first table; the second says which key is what)
    table = page.locator("[data-testid='stTable']").filter(has_text="LSTM (gates i f g o)")
    expect(table).to_have_count(1, timeout=SLOW)
    expect(main).to_contain_text("embedding: 35 tokens × 16")
    expect(main).to_contain_text("No vocabulary")
    uploads.nth(1).set_input_files(str(tmp_path / "vocab.json"))
    expect(main).not_to_contain_text("No vocabulary", timeout=SLOW)
    expect(page.get_by_label("Name in the pickers")).to_have_value("my-lstm")
    wait_idle(page)
    page.get_by_role("button", name="Use this model").click()
    expect(main).to_contain_text("“my-lstm (yours, LSTM, 32 units)” is in the model pickers", timeout=SLOW)
    page.get_by_role("button", name="Inspect it").click()
    expect(page.get_by_role("heading", name="Inspect")).to_be_visible(timeout=SLOW)
    picker = page.locator("[data-testid='stSidebar']").get_by_role("combobox", name="Model")
    expect(picker).to_have_value("my-lstm (yours, LSTM, 32 units)", timeout=SLOW)
    # Inspect draws this model's own panels (which ones it opens on is Inspect's business)
    expect(page.locator(".js-plotly-plot").filter(has_text="layer 0")).not_to_have_count(0, timeout=SLOW)
    wait_idle(page)
    assert "model=yours" in page.url.replace("%3A", ":").replace("+", " ")
    assert_no_exception(page)


WORDS = ["<unk>", "<eos>", "the", "cat", "sat", "on", "mat", "a", "dog", "ran", ",", "."]


class WordLanguageModel(nn.Module):
    """The layout of the well-known public word-language-model example (our code): an embedding named
    encoder, an nn.LSTM named rnn, a linear head named decoder, tied, with dropout between."""

    def __init__(self, ntoken=len(WORDS), size=16, layers=2):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, size)
        self.rnn = nn.LSTM(size, size, layers, dropout=0.2)
        self.decoder = nn.Linear(size, ntoken)
        self.decoder.weight = self.encoder.weight

    def forward(self, ids):
        return self.decoder(self.drop(self.rnn(self.drop(self.encoder(ids)))[0]))


def test_a_word_language_model_saved_by_torch_save_is_traced_over_its_words(page, app_url, tmp_path):
    torch.manual_seed(0)
    net = WordLanguageModel()
    with open(tmp_path / "model.pt", "wb") as f:  # the example's own save: the weights as torch.save writes them
        torch.save(net.state_dict(), f)
    (tmp_path / "words.json").write_text(json.dumps(WORDS))
    open_page(page, app_url, "your_model")
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("Upload a weights file above", timeout=SLOW)
    uploads = page.locator("[data-testid='stFileUploader'] input[type='file']")
    uploads.nth(0).set_input_files(str(tmp_path / "model.pt"))
    expect(page.locator("[data-testid='stTable']").filter(has_text="LSTM (gates i f g o)")).to_have_count(
        1, timeout=SLOW)
    expect(main).to_contain_text("the head's weight is the embedding's")
    uploads.nth(1).set_input_files(str(tmp_path / "words.json"))
    expect(main).to_contain_text("so this model reads tokens, not characters", timeout=SLOW)
    wait_idle(page)
    page.get_by_role("button", name="Use this model").click()
    expect(main).to_contain_text("“model (yours, LSTM, 16 units)” is in the model pickers", timeout=SLOW)
    page.get_by_role("button", name="Inspect it").click()
    expect(page.get_by_role("heading", name="Inspect")).to_be_visible(timeout=SLOW)
    wait_idle(page)  # typed before the page's first run ends, the text could be replaced by its default
    box = page.get_by_label("Text (press Enter to read it)")
    box.fill("the cat sat on the zebra .")
    box.press("Enter")
    expect(main).to_contain_text("lacks the token 'zebra'", timeout=SLOW)
    wait_idle(page)
    figure = page.locator(".js-plotly-plot").filter(has_text="step (token read)")
    expect(figure.first).to_be_visible(timeout=SLOW)
    page.wait_for_function(TICKS, arg="zebra", timeout=SLOW)  # the steps are labelled with the words read
    assert_no_exception(page)
