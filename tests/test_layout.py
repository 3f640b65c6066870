"""The layout holds (CONTRIBUTING.md, "portal/"): the core imports no area, areas use each
other only through their service.py, no module imports one that imports it back, and the
areas stand side by side above the core."""
import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("portal", "models", "rules")
# The one form two areas show: the staff console answers a chat with the support's.
SHARED_FORMS = {("staff", "portal.support.forms")}
MAX_AREA_LEVELS = 7  # rules, models, the core, at most three floors of areas, the factory


def modules():
    found = {}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = modules()


@cache
def imports_of(name):
    """The modules of ours `name` imports (a package's face only when a name of its own is
    taken from it)."""
    path = MODULES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            submodules = [f"{module}.{alias.name}" for alias in node.names
                          if f"{module}.{alias.name}" in MODULES]
            targets = submodules + ([module] if len(submodules) < len(node.names) else [])
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return frozenset(found)


def area_of(name):
    """'core', an area's name, or None for the factory and the other layers."""
    parts = name.split(".")
    return parts[1] if parts[0] == "portal" and len(parts) > 1 else None


def test_the_core_imports_no_area():
    wrong = {(name, target) for name in MODULES if area_of(name) == "core"
             for target in imports_of(name) if area_of(target) not in (None, "core")}
    assert not wrong


def test_areas_use_each_other_only_through_their_service():
    wrong = set()
    for name in MODULES:
        area = area_of(name)
        for target in imports_of(name):
            other = area_of(target)
            if area in (None, "core") or other in (None, "core", area):
                continue
            if target != f"portal.{other}.service" and (area, target) not in SHARED_FORMS:
                wrong.add((name, target))
    assert not wrong


def test_no_module_imports_one_that_imports_it_back():
    state = {}

    def visit(name, path):
        if state.get(name) == "done":
            return
        assert state.get(name) != "open", " -> ".join(path + [name])
        state[name] = "open"
        for target in imports_of(name):
            visit(target, path + [name])
        state[name] = "done"

    for name in MODULES:
        visit(name, [])


def part_of(name):
    """The room a module stands in: a layer, the core, an area or the factory."""
    area = area_of(name)
    return name.split(".")[0] if area is None and name != "portal" else area or "factory"


@pytest.mark.parametrize("limit", [MAX_AREA_LEVELS])
def test_the_areas_stand_side_by_side_above_the_core(limit):
    edges = {}
    for name in MODULES:
        edges.setdefault(part_of(name), set()).update(
            part_of(target) for target in imports_of(name) if part_of(target) != part_of(name))

    @cache
    def level(part):
        return 1 + max((level(target) for target in edges.get(part, ())), default=0)

    assert (level("rules"), level("models"), level("core")) == (1, 2, 3)
    assert max(level(part) for part in edges) <= limit
