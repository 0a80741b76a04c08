"""The page in a real browser: headless Chromium (Debian's) driven by Selenium through
Debian's chromedriver, which is built from the same source as the browser, so the two always
match and nothing is downloaded.

The page is loaded from ``attnseq serve`` running in a subprocess on a free loopback port.
The test types a date, waits for the conversions, checks the output and the heatmap against
what the model gives in-process, hovers an output character and checks the highlighted
input characters, and saves a screenshot (to ``$ATTNSEQ_SCREENSHOT`` too when that is set:
that is how docs/serve.png is made). A second test checks the layer/head selector on a
stand-in for a Transformer. Skipped, saying why, where Chromium or Selenium is missing.
"""

import importlib.util
import os
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from attnseq.experiments.converter import Converter
from attnseq.serve.app import create_app
from attnseq.serve.explorer import Explorer
from attnseq.serve.server import server_process

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# Headless, and nothing that reaches for the network (closed here) or the GPU.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900"]
WAIT = 20  # seconds


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} is missing: apt-get install {package} (.ci/run does)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed: pip install -e '.[test]'"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    yield driver
    driver.quit()


def wait_for(driver, condition, what):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(lambda d: condition(d), message=what)


def panel(driver, name):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'.panel[data-model="{name}"]')


def ready(driver, name, text):
    """The panel of model ``name`` once it shows the result for ``text``."""
    def shown(d):
        p = panel(d, name)
        return p if (p.get_attribute("data-state"), p.get_attribute("data-text")) == (
            "ready", text) else None
    return wait_for(driver, shown, f"{name} never showed {text!r}")


def type_into(driver, text):
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "text")
    box.clear()
    box.send_keys(text)


def hover(driver, element):
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).move_to_element(element).perform()


def test_type_a_date_see_the_output_heatmap_and_highlight(browser, attention_dir,
                                                          baseline_dir, tmp_path):
    from selenium.webdriver.common.by import By

    text = "tue, feb 3, 2015"
    explorer = Explorer.load(attention_dir)
    # The page decodes with beam search, 3 beams, unless told otherwise.
    expected, = explorer.explain([text], explorer.converter.beam(beam=3, n_best=3))
    with server_process([attention_dir, baseline_dir]) as url:
        browser.get(url + "/")
        type_into(browser, text)
        attention = ready(browser, "attention", text)
        output = attention.find_element(By.CSS_SELECTOR, ".output")
        assert output.get_attribute("data-text") == expected["output"]
        assert output.text.replace("\n", "") == expected["output"]
        cells = attention.find_elements(By.CSS_SELECTOR, ".cell")
        assert len(cells) == len(expected["outputs"]) * len(expected["inputs"]) > 0
        labels = [e.text for e in attention.find_elements(By.CSS_SELECTOR, ".col-label")]
        assert labels == [c.replace(" ", "\u2423") for c in text]  # reading order
        alternatives = attention.find_elements(By.CSS_SELECTOR, ".alternatives li")
        assert [a.find_element(By.CSS_SELECTOR, ".alt-output").text for a in alternatives] == [
            a["output"] for a in expected["alternatives"]]

        row = 5  # an output character: its row of weights lights up the input characters
        hover(browser, attention.find_elements(By.CSS_SELECTOR, ".out-char")[row])
        weights = np.array(expected["attention"][row])
        chars = attention.find_elements(By.CSS_SELECTOR, ".in-char")
        shown = np.array([float(c.get_attribute("data-weight")) for c in chars])
        assert np.allclose(shown, weights, atol=1e-4)
        peaks = [j for j, c in enumerate(chars) if "peak" in c.get_attribute("class")]
        assert peaks == [int(weights.argmax())]
        active = attention.find_elements(By.CSS_SELECTOR, ".row-label.active")
        assert [e.get_attribute("data-row") for e in active] == [str(row)]
        hover(browser, cells[2 * len(text) + 1])  # a heatmap cell of row 2 does the same
        shown = [float(c.get_attribute("data-weight")) for c in chars]
        assert np.allclose(shown, expected["attention"][2], atol=1e-4)
        hover(browser, attention.find_elements(By.CSS_SELECTOR, ".out-char")[row])

        baseline = ready(browser, "baseline", text)
        assert baseline.find_element(By.CSS_SELECTOR, ".no-attention").is_displayed()
        assert baseline.find_elements(By.CSS_SELECTOR, ".cell") == []

        shot = tmp_path / "explorer.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        if os.environ.get("ATTNSEQ_SCREENSHOT"):
            shutil.copyfile(shot, os.environ["ATTNSEQ_SCREENSHOT"])

        type_into(browser, "feb 3, 2015 #")
        error = wait_for(browser, lambda d: panel(d, "attention").get_attribute("data-state")
                         == "error" and panel(d, "attention"), "no error shown")
        assert error.find_element(By.CSS_SELECTOR, ".error").text == (
            "unknown character '#' in input 'feb 3, 2015 #'")
        assert not error.find_element(By.CSS_SELECTOR, ".result").is_displayed()


@pytest.fixture
def heads_server(attention_dir, heads_converter):
    """A server in this process (so it can serve a test double) on a free loopback port."""
    import uvicorn

    app = create_app([Explorer("transformer", heads_converter(Converter.load(attention_dir)))])
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(WAIT)
    sock.close()


def test_the_layer_and_head_selector_shows_each_heads_weights(browser, heads_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url = heads_server
    text = "9/8/97"
    browser.get(url + "/")
    Select(browser.find_element(By.ID, "search")).select_by_value("0")  # greedy
    type_into(browser, text)
    page = ready(browser, "transformer", text)
    controls = page.find_element(By.CSS_SELECTOR, ".heads")
    assert controls.is_displayed()
    kind = Select(page.find_element(By.CSS_SELECTOR, ".head-kind"))
    assert [o.get_attribute("value") for o in kind.options] == [
        "model", "cross", "encoder", "decoder"]

    kind.select_by_value("encoder")
    Select(page.find_element(By.CSS_SELECTOR, ".head-layer")).select_by_value("1")
    Select(page.find_element(By.CSS_SELECTOR, ".head-index")).select_by_value("2")
    cells = page.find_elements(By.CSS_SELECTOR, ".cell")
    assert len(cells) == len(text) ** 2  # encoder self-attention: input x input
    layer = np.asarray(_heads(url, text)["encoder"][1][2])
    last = cells[-1]
    assert last.get_attribute("title").endswith(f"{layer[-1, -1]:.4f}")

    Select(page.find_element(By.CSS_SELECTOR, ".head-index")).select_by_value("mean")
    mean = np.asarray(_heads(url, text)["encoder"][1]).mean(axis=0)
    title = page.find_elements(By.CSS_SELECTOR, ".cell")[0].get_attribute("title")
    assert abs(float(title.rsplit(" ", 1)[1]) - mean[0, 0]) < 1e-3


def _heads(url, text):
    import json
    import urllib.request

    request = urllib.request.Request(url + "/api/convert", data=json.dumps(
        {"text": text}).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=WAIT) as response:
        return json.load(response)["heads"]
