"""MkDocs hook: the chapter's notebooks as pages of the site, in English and in Korean.

The notebooks live outside ``docs/``, as jupytext percent files, one per section of the
chapter: ``notebooks/en/NAME.py`` and its translation ``notebooks/ko/NAME.py``. This hook
picks up whatever is there, by path, so that adding a notebook needs no edit of mkdocs.yml:

- ``on_files`` adds each notebook of the language being built as the page
  ``notebooks/NAME.py`` (URL ``notebooks/NAME/``, ``ko/notebooks/NAME/`` in Korean), which
  mkdocs-jupyter then renders; a notebook without a Korean twin falls back to the English one.
- ``on_nav`` lists them, in file-name order, in a "Notebooks" section of the nav, after
  getting started.

Both run after mkdocs-static-i18n (priority -110 against its -100): the i18n plugin only
localises files under ``docs/``, so the notebooks are added to the files it has already
sorted per language, with the two attributes its language switcher reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure import StructureItem
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

DEFAULT_LANGUAGE = "en"
SECTION_TITLES = MappingProxyType({"en": "Notebooks", "ko": "노트북"})


class NotebookPage(File):
    """A notebook that is a page of the site (MkDocs counts only Markdown files as pages)."""

    # What mkdocs-static-i18n's language switch reads from each file of a page.
    locale: str
    locale_alternate_of: str
    alternates: dict[str, File]

    def is_documentation_page(self) -> bool:
        return True


def notebooks_dir(config: MkDocsConfig) -> Path:
    """``notebooks/`` beside mkdocs.yml."""
    return Path(config.config_file_path).resolve().parent / "notebooks"


def languages(config: MkDocsConfig) -> tuple[str, tuple[str, ...]]:
    """(the language being built, every language of the site) from the i18n plugin."""
    i18n: Any = config.plugins["i18n"]  # mkdocs-static-i18n's plugin, its state as it builds
    return i18n.current_language, tuple(i18n.build_languages)


def notebook_page(config: MkDocsConfig, name: str, language: str) -> NotebookPage:
    """The page of notebook NAME in LANGUAGE (or the English notebook where none is)."""
    source = notebooks_dir(config) / language / name
    if not source.is_file():
        source = notebooks_dir(config) / DEFAULT_LANGUAGE / name
    prefix = "" if language == DEFAULT_LANGUAGE else f"{language}/"
    stem = Path(name).stem
    dest = f"{prefix}notebooks/{stem}/index.html" if config.use_directory_urls \
        else f"{prefix}notebooks/{stem}.html"
    page = NotebookPage(f"notebooks/{name}", src_dir=None, dest_dir=config.site_dir,
                        use_directory_urls=config.use_directory_urls, dest_uri=dest,
                        # on_nav lists it: MkDocs need not report it as left out of the nav
                        inclusion=InclusionLevel.NOT_IN_NAV)
    page.abs_src_path = str(source)
    page.generated_by = "notebooks hook"
    page.locale = language
    page.locale_alternate_of = language
    return page


@event_priority(-110)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    current, every = languages(config)
    for path in sorted((notebooks_dir(config) / DEFAULT_LANGUAGE).glob("*.py")):
        pages = {language: notebook_page(config, path.name, language) for language in every}
        alternates: dict[str, File] = dict(pages)
        for page in pages.values():
            page.alternates = alternates
        files.append(pages[current])
    return files


@event_priority(-110)
def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    pages: list[Page] = [file.page for file in files.documentation_pages()
                         if isinstance(file, NotebookPage) and file.page is not None]
    if not pages:
        return nav
    current, _ = languages(config)
    children: list[StructureItem] = list(pages)
    section = Section(SECTION_TITLES.get(current, SECTION_TITLES[DEFAULT_LANGUAGE]), children)
    for page in pages:
        page.parent = section
    # Before the first section of the nav (the guides): a reader goes from getting started
    # to the chapter's notebooks.
    first_section = next((i for i, item in enumerate(nav.items) if isinstance(item, Section)),
                         len(nav.items))
    nav.items.insert(first_section, section)
    # The pages in nav order again, with their previous/next links, which MkDocs has already
    # set for the nav without the notebooks.
    nav.pages[:] = list(pages_of(nav.items))
    for before, after in zip(nav.pages, nav.pages[1:]):
        before.next_page, after.previous_page = after, before
    return nav


def pages_of(items: list[StructureItem]) -> Iterator[Page]:
    """The pages among ITEMS and their sections' children, depth first, in order."""
    for item in items:
        if isinstance(item, Page):
            yield item
        elif isinstance(item, Section):
            yield from pages_of(item.children)
