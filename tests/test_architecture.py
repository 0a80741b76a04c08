"""The package map of docs/architecture.md: which attnseq module may import which."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "attnseq"


def imports(path: Path) -> set[str]:
    """The attnseq modules a file imports (at any depth of the file, lazily or not)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "attnseq" or name.startswith("attnseq.")}


def modules(subpackage: str) -> list[Path]:
    return sorted((PACKAGE / subpackage).glob("*.py"))


def allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("path", modules("layers"), ids=lambda p: p.name)
def test_layers_know_nothing_of_models_training_or_decoding(path):
    bad = {m for m in imports(path)
           if not allowed(m, ("attnseq.backend", "attnseq.errors", "attnseq.registry",
                              "attnseq.layers"))}
    assert not bad, f"layers/{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("decoding"), ids=lambda p: p.name)
def test_decoding_knows_no_model(path):
    bad = {m for m in imports(path)
           if not allowed(m, ("attnseq.backend", "attnseq.errors", "attnseq.threads",
                              "attnseq.layers", "attnseq.decoding"))}
    assert not bad, f"decoding/{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("models"), ids=lambda p: p.name)
def test_models_do_not_import_training_or_the_command_line(path):
    bad = {m for m in imports(path)
           if allowed(m, ("attnseq.train", "attnseq.cli", "attnseq.experiment",
                          "attnseq.compare", "attnseq.converter"))}
    assert not bad, f"models/{path.name} imports {sorted(bad)}"


def test_only_the_entry_points_import_the_command_line():
    users = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
             if any(allowed(m, ("attnseq.cli",)) for m in imports(path))}
    assert users <= {"__main__.py"}


def test_only_the_command_line_imports_the_explorer():
    """attnseq.serve needs an optional extra: the library must import without it."""
    users = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
             if not path.is_relative_to(PACKAGE / "serve")
             and any(allowed(m, ("attnseq.serve",)) for m in imports(path))}
    assert users == {"cli.py"}


def test_the_checks_see_imports():
    """The checker itself: it finds a plain, a from- and a lazy import."""
    assert imports(PACKAGE / "layers" / "fast_lstm.py") >= {"attnseq.layers.recurrent"}
    assert "attnseq.converter" in imports(PACKAGE / "cli.py")  # imported inside a command
