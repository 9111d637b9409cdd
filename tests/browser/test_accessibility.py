"""What assistive technology gets from the atelier (issue 12, item 9), in real Chromium."""

from __future__ import annotations

from .conftest import wait_for_atelier

APP = "/voila/render/atelier.ipynb"

# For each visible slider: its handle's accessible name and value text, and what the page
# shows beside it (the lever's label and value, formatted by the kernel).
SLIDERS = """() => Array.from(document.querySelectorAll('.fab-lever')).filter(
    (l) => l.getBoundingClientRect().height > 0).map((l) => {
  const h = l.querySelector('.noUi-handle');
  return {name: h.getAttribute('aria-label'), valuetext: h.getAttribute('aria-valuetext'),
          role: h.getAttribute('role'),
          label: l.querySelector('.fab-lever-label').textContent.trim(),
          shown: l.querySelector('.fab-lever-value').textContent.trim()};
})"""


def test_each_slider_is_named_after_its_lever_and_speaks_its_value_with_the_unit(
        context, voila_server):
    page = context.new_page()
    page.goto(voila_server.url + APP)
    wait_for_atelier(page, voila_server)
    page.wait_for_function("() => document.querySelector('.fab-lever .noUi-handle[aria-label]')")
    sliders = page.evaluate(SLIDERS)
    assert len(sliders) >= 15
    for s in sliders:
        assert s["role"] == "slider" and s["name"] == s["label"], s
        assert s["valuetext"] == s["shown"], s  # « 55 % des déplacements », not « 55.00 »
    # a key press: the value text follows at once, before the kernel answers
    handle = page.locator(".fab-slider-net_migration .noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.fab-slider-net_migration "
                           ".noUi-handle').getAttribute('aria-valuetext')"
                           ".replace(/\\s/g, ' ') === '950 personnes par an'", timeout=10_000)
    page.wait_for_function("() => document.querySelector('.fab-lever-net_migration "
                           ".fab-lever-value').textContent.includes('950')", timeout=30_000)
    (moved,) = [s for s in page.evaluate(SLIDERS) if s["label"] == "Solde migratoire"]
    assert moved["valuetext"] == moved["shown"], moved
