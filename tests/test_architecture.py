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
    return sorted((PACKAGE / subpackage).rglob("*.py"))


def allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("path", modules("layers"), ids=lambda p: p.name)
def test_layers_know_nothing_of_models_training_decoding_or_speed_ups(path):
    bad = {m for m in imports(path) if not allowed(m, ("attnseq.core", "attnseq.layers"))}
    assert not bad, f"layers/{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("fast"), ids=lambda p: p.name)
def test_the_fast_set_stands_on_the_books_layers_only(path):
    bad = {m for m in imports(path)
           if not allowed(m, ("attnseq.core", "attnseq.layers", "attnseq.fast"))}
    assert not bad, f"fast/{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("decoding"), ids=lambda p: p.name)
def test_decoding_knows_no_model(path):
    bad = {m for m in imports(path)
           if not allowed(m, ("attnseq.core", "attnseq.layers", "attnseq.fast",
                              "attnseq.decoding"))}
    assert not bad, f"decoding/{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("models"), ids=lambda p: p.name)
def test_models_do_not_import_training_or_the_command_line(path):
    bad = {m for m in imports(path)
           if allowed(m, ("attnseq.training", "attnseq.cli", "attnseq.experiments"))}
    assert not bad, f"models/{path.name} imports {sorted(bad)}"


def test_only_the_entry_points_import_the_command_line():
    users = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
             if not path.is_relative_to(PACKAGE / "cli")
             and any(allowed(m, ("attnseq.cli",)) for m in imports(path))}
    assert users <= {"__main__.py"}


def test_only_the_command_line_imports_the_explorer():
    """attnseq.serve needs an optional extra: the library must import without it."""
    users = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
             if not path.is_relative_to(PACKAGE / "serve")
             and any(allowed(m, ("attnseq.serve",)) for m in imports(path))}
    assert users and all(user.startswith("cli/") for user in users)


def test_the_checks_see_imports():
    """The checker itself: it finds a plain, a from- and a lazy import."""
    assert imports(PACKAGE / "fast" / "lstm.py") >= {"attnseq.layers.recurrent"}
    assert "attnseq.experiments.converter" in imports(PACKAGE / "cli" / "convert.py")  # lazily


def top_level_imports(path: Path) -> set[str]:
    """The attnseq modules a file imports at its top level (not inside a function)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "attnseq" or name.startswith("attnseq.")}


@pytest.mark.parametrize("path", modules("cli"), ids=lambda p: p.name)
def test_the_command_line_imports_the_library_lazily(path):
    """So that ``attnseq --help`` stays fast: at the top of a cli module, only the command
    line itself, attnseq.core (errors, option types) and the package's version."""
    bad = {m for m in top_level_imports(path)
           if m != "attnseq" and not allowed(m, ("attnseq.cli", "attnseq.core"))}
    assert not bad, f"cli/{path.name} imports {sorted(bad)} at its top level"


def test_the_package_root_holds_few_modules_and_the_ntm_is_one_subpackage():
    """docs/architecture.md's map: at most 8 modules at the root; the NTM's files in ntm/."""
    assert len(list(PACKAGE.glob("*.py"))) <= 8
    ntm_files = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
                 if "ntm" in path.name or "copytask" in path.name or "addressing" in path.name}
    assert all(name.startswith("ntm/") or name == "cli/ntm.py" for name in ntm_files)
