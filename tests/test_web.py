"""End to end: the web page in headless Chromium (Debian's), driven by Playwright.

Screenshots go to ``$UNSPIN_TEST_OUTPUT`` (default ``test-output/``) / ``screenshots``.
Without Debian's chromium the test is skipped, unless ``UNSPIN_REQUIRE_BROWSER`` is set
(``make test`` installs chromium and sets it, so CI can't skip it silently).
"""

import os
import shutil
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium as root needs --no-sandbox; the rest keep it off this offline machine's network.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# Starts with a character outside the BMP so the page must count code points like Python.
TEXT = "🙂 " + open("examples/spun.txt", encoding="utf-8").read().split("\n\n")[0]

if not Path(CHROMIUM).exists():
    reason = f"no chromium at {CHROMIUM}"
    if os.environ.get("UNSPIN_REQUIRE_BROWSER"):
        raise RuntimeError(reason + " (UNSPIN_REQUIRE_BROWSER is set; `make test` installs it)")
    pytest.skip(reason, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def shots() -> Path:
    out = Path(os.environ.get("UNSPIN_TEST_OUTPUT", "test-output")) / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def test_paste_highlight_accept_restore(browser, live_server, shots):
    api = httpx.post(live_server + "/api/v1/check", json={"text": TEXT}, timeout=60).json()
    spans = api["spans"]
    assert len(spans) >= 3, "the example should have edits to review"
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(live_server + "/")
    page.fill("#input", TEXT)
    page.click("#check")
    page.wait_for_selector("#annotated button.span")
    assert page.locator("#annotated button.span").count() == len(spans)
    assert "Spun" in page.inner_text("#verdict")
    assert not page.is_visible("#inline") and not page.is_visible("#side")
    page.screenshot(path=shots / "1-highlights.png", full_page=True)

    # Hover the first flagged word: the card shows its likely original and alternatives.
    first = page.locator("#annotated button.span").first
    first.hover()
    card = page.locator("#card")
    card.wait_for(state="visible")
    assert spans[0]["suggestion"] in card.inner_text()
    page.screenshot(path=shots / "2-card.png")
    card.locator("button.accept").click()
    expected = TEXT[: spans[0]["start"]] + spans[0]["suggestion"] + TEXT[spans[0]["end"] :]
    assert page.input_value("#restored") == expected

    # Keyboard: focus the second word and reject it with "r"; the text keeps the observed word.
    second = page.locator("#annotated button.span").nth(1)
    second.focus()
    page.keyboard.press("r")
    assert "rejected" in (page.locator("#annotated button.span").nth(1).get_attribute("class") or "")
    assert page.input_value("#restored") == expected

    # Accept all gives exactly the API's restored text.
    page.click("#accept-all")
    restored = httpx.post(live_server + "/api/v1/restore", json={"text": TEXT}, timeout=60).json()["text"]
    assert page.input_value("#restored") == restored
    with page.expect_download() as download:
        page.click("#download")
    assert Path(download.value.path()).read_text(encoding="utf-8") == restored

    page.check("input[name=view][value=inline]")
    assert page.locator("#inline del").count() == len(spans)
    assert not page.is_visible("#annotated") and not page.is_visible("#side")
    page.screenshot(path=shots / "3-inline-diff.png", full_page=True)
    page.check("input[name=view][value=side]")
    assert page.locator("#side-after ins").count() == len(spans)
    page.close()


def test_dropped_file_and_narrow_screen(browser, live_server, shots, tmp_path):
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(live_server + "/")
    f = tmp_path / "article.txt"
    f.write_text(TEXT, encoding="utf-8")
    page.set_input_files("#file", str(f))
    page.wait_for_selector("#annotated button.span")
    assert page.input_value("#input") == TEXT
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px screen"
    page.screenshot(path=shots / "4-narrow.png", full_page=True)

    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01binary")
    page.set_input_files("#file", str(binary))
    page.wait_for_selector("#error", state="visible")
    assert "not UTF-8" in page.locator("#error").inner_text()
    page.close()


def test_keyboard_only_flow(browser, live_server):
    page = browser.new_page()
    page.goto(live_server + "/")
    page.focus("#input")
    page.keyboard.insert_text(TEXT)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#annotated button.span")
    page.locator("#annotated button.span").first.focus()
    page.keyboard.press("Enter")  # opens the card and moves focus into it
    assert page.evaluate("document.activeElement.closest('#card') !== null")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.classList.contains('span')")
    page.keyboard.press("a")
    assert "accepted" in (page.locator("#annotated button.span").first.get_attribute("class") or "")
    page.close()


def test_clean_text_can_still_be_restored_on_request(browser, live_server):
    clean = open("examples/original.txt", encoding="utf-8").read()
    api = httpx.post(live_server + "/api/v1/check", json={"text": clean}, timeout=60).json()
    assert api["verdict"] == "not spun" and not api["spans"]
    restored = httpx.post(live_server + "/api/v1/restore", json={"text": clean}, timeout=60).json()
    page = browser.new_page()
    page.goto(live_server + "/")
    page.fill("#input", clean)
    page.click("#check")
    page.wait_for_selector("#restore-anyway")
    assert "Not spun" in page.inner_text("#verdict")
    page.click("#restore-anyway")
    page.wait_for_selector("#restore-anyway", state="detached")
    assert page.locator("#annotated button.span").count() == len(restored["spans"])
    page.click("#accept-all")
    assert page.input_value("#restored") == restored["text"]
    page.close()
