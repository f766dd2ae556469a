"""The architecture as the code's own imports draw it (README: "How the code is
laid out"): the import-linter contracts in pyproject.toml, no import circle, at
most seven layers of packages, and no private name imported from another module.

The runtime side (the CLI never loads textual) is test_import_hygiene.py.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("complaintdesk", "screens")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer_of(module: str) -> str:
    """A module's layer: ``complaintdesk.store`` (its sub-packages included),
    ``complaintdesk.process``…, and ``screens`` (the console is one layer)."""
    if module.split(".")[0] == "screens":
        return "screens"
    return ".".join(module.split(".")[:2])


def layer_depths(edges: dict[str, set[str]]) -> dict[str, int]:
    """How many layers each package stands on, itself included (the longest chain
    of package-to-package imports below it)."""
    between: dict[str, set[str]] = {}
    for module, imported in edges.items():
        for other in imported:
            if layer_of(module) != layer_of(other):
                between.setdefault(layer_of(module), set()).add(layer_of(other))

    assert strongly_connected(between) == [], "layers import each other"

    @cache
    def depth(layer: str) -> int:
        return 1 + max((depth(below) for below in between.get(layer, ())), default=0)

    return {layer: depth(layer) for layer in {layer_of(m) for m in edges}}


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_import_circle(graph):
    assert strongly_connected(_edges(graph)) == []


def test_circles_are_found():
    """The circle finder itself finds a circle, and a long one."""
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_at_most_seven_layers(graph):
    depths = layer_depths(_edges(graph))
    assert max(depths.values()) <= 7, sorted(depths.items(), key=lambda kv: kv[1])
    # The order the README draws, from the imports themselves.
    assert depths["complaintdesk.domain"] < depths["complaintdesk.store"] \
        < depths["complaintdesk.process"] < depths["complaintdesk.reports"] \
        < depths["complaintdesk.cli"]


def _private_imports() -> list[str]:
    found = []
    for package in (*PACKAGES, "tests", "bench"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (
                        node.level or (node.module or "").split(".")[0] in PACKAGES):
                    found += [f"{path.relative_to(ROOT)}:{node.lineno} {alias.name}"
                              for alias in node.names
                              if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_no_private_name_is_imported_from_another_module():
    assert _private_imports() == []
