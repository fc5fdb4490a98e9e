"""The access boundary, read from the source: only ``lccu/evidence`` (and the web's login
code) opens database sessions or imports ORM models, so every access decision goes through
the gate (``lccu/evidence/gate.py``); and the import circles of issue 14 stay broken."""

from __future__ import annotations

import ast
from pathlib import Path

import lccu

ROOT = Path(lccu.__file__).parent
#: modules that define ORM models
MODEL_MODULES = ("lccu.evidence.models", "lccu.evidence.runstate", "lccu.tasks.state",
                 "lccu.web.models")
#: outside lccu/evidence and allowed to: the web's login code (passwords, sessions, tokens)
LOGIN_CODE = {"lccu/web/auth.py", "lccu/web/models.py"}
#: still outside, to be moved behind typed services in lccu/evidence (issue 14): none left
#: (the work queue's rules and the hash-set store's SQL moved). Keep it empty.
NOT_YET_MOVED: set[str] = set()


def _module_files() -> list[tuple[str, ast.Module]]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent).as_posix()
        if relative.startswith("lccu/evidence/") or "/migrations/" in relative:
            continue
        files.append((relative, ast.parse(path.read_text(), relative)))
    return files


def _is_model(module: str, name: str) -> bool:
    """Whether ``module.name`` is an ORM class (constants beside the models are fine)."""
    import importlib

    from lccu.evidence.models import Base

    value = getattr(importlib.import_module(module), name, None)
    return isinstance(value, type) and issubclass(value, Base)


def _violations(name: str, tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in MODEL_MODULES:
            models = [a.name for a in node.names if _is_model(node.module, a.name)]
            if models:
                found.append(f"{name}:{node.lineno} imports ORM models {models} from "
                             f"{node.module}")
        elif isinstance(node, ast.Import):
            found += [f"{name}:{node.lineno} imports {a.name}" for a in node.names
                      if a.name in MODEL_MODULES]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "session" and not node.args
              and isinstance(node.func.value, ast.Attribute)
              and node.func.value.attr == "db"):
            found.append(f"{name}:{node.lineno} opens a database session (.db.session())")
    return found


def test_no_sessions_or_models_outside_the_evidence_package() -> None:
    """Outside lccu/evidence, only the login code (and the listed, shrinking set of modules
    not moved yet) touch the database directly; web/, cli/ and the rest use the Lab."""
    problems = []
    for name, tree in _module_files():
        if name in LOGIN_CODE or name in NOT_YET_MOVED:
            continue
        problems += _violations(name, tree)
    assert problems == []


def test_not_yet_moved_list_is_current() -> None:
    """Every module on the list still needs to be there (moved ones come off it)."""
    trees = dict(_module_files())
    stale = sorted(n for n in NOT_YET_MOVED if n not in trees or not _violations(n, trees[n]))
    assert stale == []


def _imports(path: Path) -> set[str]:
    """Every lccu module ``path`` imports, at any level (TYPE_CHECKING blocks too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lccu"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lccu")}
    return found


def test_import_circles_are_broken() -> None:
    """intake.py does not import lab.py (it uses the Lab's base), and the case-action forms
    and the pages do not import each other both ways."""
    module = ROOT / "evidence"
    assert "lccu.evidence.lab" not in _imports(module / "intake.py")
    assert "lccu.evidence.lab" not in _imports(module / "lab_items.py")
    web = ROOT / "web"
    both = ("lccu.web.pages" in _imports(web / "case_actions.py")
            and "lccu.web.case_actions" in _imports(web / "pages.py"))
    assert not both


def test_lab_methods_are_documented() -> None:
    """Every public method of the Lab says what it does (and why, where it matters)."""
    from lccu.evidence.lab import Lab

    missing = sorted(name for name in dir(Lab) if not name.startswith("_")
                     and callable(getattr(Lab, name)) and not getattr(Lab, name).__doc__)
    assert missing == []
