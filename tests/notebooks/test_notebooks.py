"""The chapter's notebooks (notebooks/en, notebooks/ko): each executes top to bottom on the
quick settings, its figures render, and each Korean notebook has its English twin's code.

A notebook checks its own numbers with ``assert`` in the cell that states them, so a wrong
number fails the execution here. The notebooks are jupytext percent files; they are read
with jupytext and run by nbclient on a python3 kernel, one cell at a time with a time limit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
LANGUAGES = ("en", "ko")
QUICK = "ATTNSEQ_NOTEBOOK_QUICK"  # the one switch to the small settings
CELL_SECONDS = 300  # per cell; on the quick settings a cell takes seconds
# A cell that shows a figure: the viz helpers' figures through display(), pyplot's by show().
SHOWS_FIGURE = re.compile(r"^\s*(display\(|plt\.show\(\))", re.M)


def notebooks(language: str) -> list[Path]:
    return sorted((NOTEBOOKS / language).glob("*.py"))


def code_cells(path: Path) -> list[str]:
    return [cell.source for cell in jupytext.read(path).cells if cell.cell_type == "code"]


def test_every_section_has_a_notebook_in_both_languages():
    english, korean = ([p.name for p in notebooks(lang)] for lang in LANGUAGES)
    assert len(english) == 6
    assert korean == english


@pytest.mark.parametrize("path", notebooks("ko"), ids=lambda p: p.name)
def test_a_korean_notebook_has_its_english_twins_code_cells(path):
    assert code_cells(path) == code_cells(NOTEBOOKS / "en" / path.name)


@pytest.mark.parametrize("path", notebooks("en") + notebooks("ko"),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_notebook_states_its_cost_and_reads_the_quick_switch_first(path):
    cells = jupytext.read(path).cells
    assert cells[0].cell_type == "markdown" and "ATTNSEQ_NOTEBOOK_QUICK" in cells[0].source
    assert QUICK in code_cells(path)[0]


def run_notebook(path: Path, workdir: Path):
    """Execute ``path`` in ``workdir`` on the quick settings; return the executed notebook."""
    notebook = jupytext.read(path)
    client = nbclient.NotebookClient(notebook, timeout=CELL_SECONDS, kernel_name="python3",
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute()
    return notebook


@pytest.mark.parametrize("path", notebooks("en") + notebooks("ko"),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_notebook_executes_top_to_bottom(path, tmp_path, monkeypatch):
    monkeypatch.setenv(QUICK, "1")  # the kernel inherits the environment
    notebook = run_notebook(path, tmp_path)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o.output_type == "error"]
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(images) == len(SHOWS_FIGURE.findall(cell.source)), cell.source[:200]
    assert not list(tmp_path.iterdir()), "a notebook wrote files"


def test_a_failing_assert_in_a_cell_fails_the_execution(tmp_path):
    """The check the notebooks rely on: an assert that fails stops the run with an error."""
    path = tmp_path / "failing.py"
    path.write_text("# %%\nerror = 1e-3\n\n# %%\nassert error < 1e-6\n", encoding="utf-8")
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="AssertionError"):
        run_notebook(path, tmp_path)
