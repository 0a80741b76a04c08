"""The documentation site builds in strict mode, in English and in Korean.

The site is built by ``mkdocs build --strict`` from a copy of mkdocs.yml and docs/ with the
placeholder notebooks of ``fixtures/notebooks`` in place of the chapter's (so the test does
not depend on which notebooks exist, and does not execute them): strict mode turns every
broken link, anchor or API reference into a failure. Then a few pages are checked: the home
page in both languages, an API page listing a known class, and the notebook pages that the
hook adds (docs/hooks/notebooks.py), a Korean one and one that falls back to English.
The tests that build are skipped, saying why, where the ``docs`` extra is not installed.
"""

import importlib.util
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_PAGES = ("layers", "fast", "models", "decoding", "training", "tasks", "experiments",
             "dates")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLUGINS = ("mkdocs", "material", "mkdocstrings_handlers.python", "mkdocs_jupyter",
           "mkdocs_static_i18n")


def _missing() -> str | None:
    """Why the site cannot be built here, or None."""
    for module in PLUGINS:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # the parent of a dotted name is missing
            found = False
        if not found:
            return f"{module} is not installed: pip install -e '.[docs]'"
    return None


MISSING = _missing()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The built site, from this checkout's docs and package and the placeholder notebooks."""
    if MISSING is not None:
        pytest.skip(MISSING)
    project = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "mkdocs.yml", project)
    shutil.copytree(ROOT / "docs", project / "docs")
    shutil.copytree(FIXTURES / "notebooks", project / "notebooks")
    # mkdocstrings reads the package beside mkdocs.yml: this checkout's, not an installed one.
    (project / "attnseq").symlink_to(ROOT / "attnseq")
    env = {k: v for k, v in os.environ.items() if k != "ATTNSEQ_DOCS_EXECUTE"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "site"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return project / "site"


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def test_the_home_page_is_in_english_and_in_korean(site):
    assert "Where to go" in page(site, ".")
    korean = page(site, "ko")
    assert "어디부터 읽을까" in korean and 'lang="ko"' in korean


def test_the_korean_site_says_which_pages_stay_in_english(site):
    assert "영어 원문으로" in page(site, "ko")
    # A guide without a Korean page is served in English under /ko/.
    assert "Reading the book" in page(site, "ko/architecture")


def test_the_api_reference_lists_the_books_layers(site):
    html = page(site, "api/layers")
    assert 'id="attnseq.layers.attention.TimeAttention"' in html
    assert "attnseq.layers.attention.TimeAttention" in page(site, "ko/api/layers")


def test_the_notebooks_are_pages_in_both_languages(site):
    assert "Placeholder notebook" in page(site, "notebooks/01-placeholder")
    assert "자리표시 노트북" in page(site, "ko/notebooks/01-placeholder")
    # Listed in the nav, under the section's name in each language, after getting started
    # and before the guides; the previous/next links follow that order.
    home = page(site, ".")
    assert home.index('href="notebooks/01-placeholder/"') < home.index('href="cli/"')
    assert "노트북" in page(site, "ko")
    assert '<link rel="next" href="../notebooks/01-placeholder/">' in page(
        site, "getting-started")
    assert '<link rel="prev" href="../notebooks/02-english-only/">' in page(site, "cli")


def test_a_notebook_without_a_korean_twin_falls_back_to_english(site):
    assert "English-only notebook" in page(site, "ko/notebooks/02-english-only")


@pytest.mark.parametrize("subpackage", API_PAGES)
def test_each_api_page_lists_every_module_of_its_subpackage(subpackage):
    """The pages name their modules (so re-exports are not documented twice): a new module
    must be added to its page, or it would be missing from the reference."""
    text = (ROOT / "docs" / "api" / f"{subpackage}.md").read_text(encoding="utf-8")
    listed = re.search(r"members: \[(.*)\]", text)
    assert listed, f"docs/api/{subpackage}.md names no members"
    package = ROOT / "attnseq" / subpackage
    assert sorted(listed.group(1).split(", ")) == sorted(
        module.name for module in pkgutil.iter_modules([str(package)]))


def test_the_api_guide_shows_the_readmes_example():
    """docs/python-api.md repeats the README's example, which tests/test_readme.py runs."""
    def example(path: Path) -> list[str]:
        return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)

    assert example(ROOT / "docs" / "python-api.md") == example(ROOT / "README.md")
