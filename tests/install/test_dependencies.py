"""Every third-party module lccu imports is a distribution its pyproject.toml declares."""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "lccu"
#: modules that only ship test helpers may use the ``test`` extra as well
TEST_HELPERS = "testing"


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Top-level names of absolute imports that run (not under ``if TYPE_CHECKING``)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno
        stack.extend(ast.iter_child_nodes(node))


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    test = {canonicalize_name(Requirement(r).name)
            for r in project["optional-dependencies"]["test"]}
    return runtime, test


def test_every_imported_distribution_is_declared() -> None:
    """A module lccu imports at run time (even one that arrives today as another package's
    dependency) belongs to a distribution listed in pyproject's dependencies; lccu.testing
    may also use the test extra."""
    owners = packages_distributions()
    runtime, test = _declared()
    missing: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO)
        allowed = runtime | test if rel.parts[1] == TEST_HELPERS else runtime
        for module, line in _imports(ast.parse(path.read_text(), str(path))):
            if module in sys.stdlib_module_names or module in {"lccu", "__future__"}:
                continue
            dists = {canonicalize_name(d) for d in owners.get(module, [])}
            if not dists:
                missing.append(f"{rel}:{line}: imports {module!r}, which no installed "
                               "distribution provides")
            elif not dists & allowed:
                missing.append(f"{rel}:{line}: imports {module!r} from {sorted(dists)}, not "
                               "declared in pyproject.toml [project] dependencies")
    assert not missing, "\n".join(sorted(missing))
