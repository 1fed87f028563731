"""The family pages in a real browser, on the real pretrained models: Jordan vs Elman,
Stacked & bidirectional, One-hot vs embedding."""
import re

import pytest
from browser_helpers import SLOW, assert_no_exception, open_page, plot_texts, plots, wait_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_jordan_vs_elman_typing_brackets_redraws_both_nets(page, app_url):
    open_page(page, app_url, "jordan")
    expect(plots(page).filter(has_text="Predicted depth")).to_have_count(1, timeout=SLOW)
    expect(plots(page).filter(has_text="Jordan feedback")).to_have_count(1)  # only the Jordan net's diagram
    box = page.get_by_label(re.compile("^Brackets")).first
    box.fill("((((()))))")
    box.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.search).get('brackets') === '((((()))))'",
                           timeout=SLOW)
    wait_idle(page)
    expect(page.locator("[data-testid='stMain']")).to_contain_text("accuracy on your text")
    assert "Jordan: reads back" in plot_texts(page)
    box.fill("(()x")
    box.press("Enter")
    expect(page.locator("[data-testid='stAlert']")).to_contain_text("Type only “(” and “)”", timeout=SLOW)
    expect(box).to_have_value("(()x")  # what was typed stays
    assert_no_exception(page)


def test_stacked_bidirectional_shows_every_layer_and_the_meeting(page, app_url):
    open_page(page, app_url, "deep")
    expect(plots(page).filter(has_text="Where the directions meet")).to_have_count(1, timeout=SLOW)
    for where in ("layer 0 forward", "layer 0 backward", "layer 1 forward", "layer 1 backward"):
        expect(plots(page).filter(has_text=where)).not_to_have_count(0)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("sentiment-bigru says")
    box = page.get_by_label(re.compile("^Text")).first
    box.fill("the film was not boring, although the ending was weak")
    box.press("Enter")  # a sentence: one line, applied on Enter
    expect(main).to_contain_text("says positive", timeout=SLOW)
    assert_no_exception(page)


def test_one_hot_vs_embedding_maps_and_neighbours(page, app_url):
    open_page(page, app_url, "embedding?near=a")
    expect(plots(page).filter(has_text="by PCA")).to_have_count(2, timeout=SLOW)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("english-rnn-onehot: nearest to “a”")
    expect(plots(page).filter(has_text="columns of weight_ih_l0")).to_have_count(1)
    page.get_by_text(re.compile("^what a character adds to the first layer")).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('vectors') === 'first_layer'",
                           timeout=SLOW)
    wait_idle(page)
    expect(plots(page).filter(has_text="weight_ih_l0 · rows of embedding.weight")).to_have_count(1, timeout=SLOW)
    assert_no_exception(page)
