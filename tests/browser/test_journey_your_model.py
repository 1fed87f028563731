"""Your model in a real browser: upload a state_dict and its vocabulary, confirm the inferred
architecture, use it, and see it read text on Inspect."""
import pytest
from browser_helpers import SLOW, assert_no_exception, open_page, wait_idle
from playwright.sync_api import expect

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
