"""The layers (README, Design): a package imports only the layers below it, so `core`
imports no app, `departments` knows nothing of recommendations, and follow-ups never reach up
to reporting. Every import statement of every module counts, those inside functions too."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Bottom up. The packages of one layer do not import each other either.
LAYERS = [
    ("core",),
    ("departments",),
    ("recommendations",),
    ("followups",),
    ("collaboration",),
    ("importing", "reports", "accounts", "notifications"),
    ("demo",),
    ("config",),
]
LEVEL = {package: level for level, packages in enumerate(LAYERS) for package in packages}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def upward_imports(package: str, root: Path = ROOT) -> list[str]:
    """The imports in `package` of a package in its own layer or a higher one."""
    found = []
    for path in sorted((root / package).rglob("*.py")):
        for line, module in imported_modules(path):
            target = module.split(".")[0]
            if target != package and LEVEL.get(target, -1) >= LEVEL[package]:
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def test_every_package_has_a_layer():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(LEVEL)


@pytest.mark.parametrize("package", list(LEVEL))
def test_a_package_imports_only_the_layers_below_it(package):
    assert upward_imports(package) == []


def test_an_upward_import_inside_a_function_is_found(tmp_path):
    (tmp_path / "recommendations").mkdir()
    (tmp_path / "recommendations" / "views.py").write_text(
        "from departments.models import Department\n"
        "from recommendations.models import Recommendation\n"
        "\n"
        "def page():\n"
        "    from followups.models import FollowUp\n"
        "    import reports.tables\n"
    )
    assert upward_imports("recommendations", root=tmp_path) == [
        "recommendations/views.py:5 imports followups.models",
        "recommendations/views.py:6 imports reports.tables",
    ]
