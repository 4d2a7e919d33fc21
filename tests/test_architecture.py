"""The house rules of the package, checked on its source (see README, «Module map»).

- no import cycle between files of the package (imports inside functions count too);
- no private name (``_x``) of one module used in another;
- no function longer than 120 lines of code (docstrings excluded) in ``io/``,
  ``fisoko/`` and ``report/``;
- no module longer than 800 lines: one past it becomes a package;
- every public import path keeps working.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "edu_quality"
MAX_FUNCTION_LINES = 120
MAX_MODULE_LINES = 800


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, tuple[Path, ast.Module]]:
    return {
        _module_name(p): (p, ast.parse(p.read_text(encoding="utf-8")))
        for p in sorted(PACKAGE.rglob("*.py"))
    }


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:`` (never imported when running)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in ast.walk(child))
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(sources: dict) -> dict[str, set[str]]:
    """Module → the package's modules it imports (the most specific existing name)."""
    graph: dict[str, set[str]] = {m: set() for m in sources}
    for module, (path, tree) in sources.items():
        is_package = path.name == "__init__.py"
        for node in _runtime_nodes(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, is_package, node)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in sources else base
                    for a in node.names
                ]
            for t in targets:
                while t and t not in sources:
                    t = t.rpartition(".")[0]
                if t and t != module and t.startswith("edu_quality"):
                    graph[module].add(t)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _package_of(module: str, sources: dict) -> bool:
    return sources[module][0].name == "__init__.py"


def test_no_import_cycle_between_files():
    sources = _sources()
    graph = _imports(sources)
    # a package's __init__ re-exporting its own submodules is not a cycle of concerns:
    # the submodules never import the __init__ back except through it
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_no_private_name_used_outside_its_module():
    sources = _sources()
    used = []
    for module, (path, tree) in sources.items():
        is_package = path.name == "__init__.py"
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _resolve(module, is_package, node)
                for a in node.names:
                    target = f"{base}.{a.name}"
                    if target in sources:  # a module imported by name
                        aliases[a.asname or a.name] = target
                    elif (
                        a.name.startswith("_")
                        and not a.name.startswith("__")
                        and base.startswith("edu_quality")
                    ):
                        used.append(f"{module}: from {base} import {a.name}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("edu_quality"):
                        aliases[a.asname or a.name] = a.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                used.append(f"{module}: {node.value.id}.{node.attr}")
    assert used == []


def _code_lines(func: ast.FunctionDef | ast.AsyncFunctionDef, text: list[str]) -> int:
    skip: set[int] = set()
    for node in ast.walk(func):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    lines = range(func.lineno, func.end_lineno + 1)
    return sum(
        1
        for i in lines
        if i not in skip and text[i - 1].strip() and not text[i - 1].strip().startswith("#")
    )


@pytest.mark.parametrize("area", ["io", "fisoko", "report"])
def test_functions_are_short(area):
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] != area and rel.with_suffix("").parts[0] != area:
            continue
        text = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(text))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = _code_lines(node, text)
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{rel}:{node.lineno} {node.name} ({n} lines)")
    assert long == []


def test_modules_are_not_past_800_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in sorted(PACKAGE.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


#: Every public import path of the package (module, name); none may break.
PUBLIC = {
    "edu_quality": None,  # the package's __all__
    "edu_quality.io": [
        "SUFFIXES",
        "read_context",
        "read_enrolment",
        "read_indicators",
        "read_plan",
        "read_results",
        "read_risk_profiles",
        "read_schools",
        "read_staff",
    ],
    "edu_quality.fisoko": [
        "FisOkoContext",
        "FisOkoVpr",
        "ImportResult",
        "OUTPUTS",
        "QUALITY_COLUMNS",
        "canonical_school_id",
        "detect_layout",
        "fisoko_schools",
        "import_fisoko",
        "parse_file_name",
        "read_fisoko_context",
        "read_fisoko_registry",
        "read_fisoko_vpr",
        "school_groups",
    ],
    "edu_quality.report": None,
    "edu_quality.report.runner": [
        "BatchResult",
        "Job",
        "KERNEL_NAME",
        "NOTEBOOKS",
        "ParameterError",
        "STATUS_LABELS",
        "check_parameters",
        "describe_failure",
        "ensure_kernel",
        "export_html",
        "job_for",
        "notebook_path",
        "notebooks_dir",
        "plan_jobs",
        "render_report",
        "run_batch",
        "safe_name",
        "write_index",
        "report_exporter_class",
        "report_exporter",
        "export_resources",
    ],
    "edu_quality.explore": None,
    # modules that became packages: every name of their __all__ still importable
    "edu_quality.dataset": None,
    "edu_quality.factors": None,
    "edu_quality.identify": None,
    "edu_quality.schema": None,
    "edu_quality.synthetic": None,
    "edu_quality.report.sections": [
        "ReportData",
        "report_data",
        "school_report",
        "municipality_report",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_import_paths(module):
    mod = importlib.import_module(module)
    names = PUBLIC[module] or mod.__all__
    missing = [n for n in names if not hasattr(mod, n)]
    assert missing == []


@pytest.mark.parametrize("package", ["edu_quality", "edu_quality.report"])
def test_lazy_exports_match_the_type_checking_imports(package):
    """``__all__`` comes from ``_EXPORTS`` (and ``_SUBMODULES``); the imports that type
    checkers and IDEs read under ``if TYPE_CHECKING:`` must name the same, from the same
    modules."""
    mod = importlib.import_module(package)
    path = Path(mod.__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)
    )
    exports, submodules = {}, set()
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1, ast.unparse(node)
        for a in node.names:
            if node.module is None:
                submodules.add(a.name)
            else:
                exports[a.name] = node.module
    assert exports == mod._EXPORTS
    assert submodules == set(getattr(mod, "_SUBMODULES", ()))
    assert sorted(mod.__all__) == sorted([*exports, *submodules])
    assert all(getattr(mod, name) is not None for name in mod.__all__)


def test_the_code_is_lint_clean_and_formatted():
    """``ruff check`` and ``ruff format --check`` with the pinned ruff and the project's rules."""
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff не установлен (он входит в extra `test`)")
    root = PACKAGE.parent
    paths = ["edu_quality", "tests", "benchmarks"]
    check = subprocess.run([ruff, "check", *paths], cwd=root, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    fmt = subprocess.run(
        [ruff, "format", "--check", *paths], cwd=root, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout[-3000:]


def test_notebook_cells_hold_no_logic():
    """A notebook cell is parameters, a call, a display: no loop, branch, function or class
    (logic lives in edu_quality/, where it is tested)."""
    import json

    found = []
    for path in sorted((PACKAGE / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            tree = ast.parse("".join(cell["source"]))
            kinds = (ast.For, ast.While, ast.If, ast.FunctionDef, ast.ClassDef, ast.Lambda)
            found += [f"{path.name} cell {i}" for n in ast.walk(tree) if isinstance(n, kinds)]
    assert found == []
