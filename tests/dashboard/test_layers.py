"""Apps import only downward (docs/architecture.md, "Layers"): import-linter's contracts hold,
they break when a lower app imports a higher one, and nothing goes around them by a dynamic
import or `apps.get_model`."""

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# Bottom to top: the order of docs/architecture.md, "Layers".
LAYERS = ["coop", "membership", "governance", "ledger", "patronage", "vitality", "dashboard"]
APPS = [app for app in LAYERS if (ROOT / app).is_dir()]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
                          timeout=120)


# --- the contracts --------------------------------------------------------------------------

def test_the_contracts_name_the_documented_order_and_the_pure_modules():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers, pure = config["contracts"]
    assert layers["type"] == "layers"
    assert [layer.strip("()") for layer in reversed(layers["layers"])] == LAYERS
    assert pure["type"] == "forbidden" and config["include_external_packages"] is True
    assert "governance.tally" in pure["source_modules"]
    assert {"django", "rest_framework", "celery"} <= set(pure["forbidden_modules"])
    assert all(app in settings.INSTALLED_APPS for app in LAYERS)


def test_the_code_keeps_the_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.fixture
def project_copy(tmp_path):
    """The apps and the import-linter configuration, copied so a test can break them."""
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app,
                        ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_copy_keeps_the_contracts_before_it_is_changed(project_copy):
    assert lint_imports(project_copy).returncode == 0


@pytest.mark.parametrize(("module", "line", "broken"), [
    # a lower app importing a higher one at the top of a module...
    ("membership/selectors.py", "import governance.models", "Apps import only downward"),
    # ...or inside a function, where it would only run later
    ("coop/models.py", "def _late():\n    from dashboard import views",
     "Apps import only downward"),
    ("governance/models.py", "from dashboard.views import home", "Apps import only downward"),
    # a pure module reaching for Django
    ("governance/tally.py", "from django.db import models", "Pure modules import no framework"),
])
def test_an_upward_or_framework_import_breaks_a_contract(project_copy, module, line, broken):
    # given a forbidden import appended to one module
    with (project_copy / module).open("a") as f:
        f.write(f"\n\n{line}\n")
    # when import-linter checks the copy
    result = lint_imports(project_copy)
    # then it fails, naming the contract and the module
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


# --- nothing goes around the contracts --------------------------------------------------------

# Calls that import or look up a module or model by name, out of import-linter's sight.
DYNAMIC_IMPORTS = {"import_module", "__import__", "find_spec", "get_model", "get_app_config",
                   "include"}


def _target_app(call: ast.Call) -> str | None:
    """The app a dynamic import names, "?" when the name is computed, None when it names no
    app of ours."""
    if not call.args:
        return None
    first = call.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return "?"
    name = first.value.split(".")[0]  # "governance", "governance.seed", "governance.Elector"
    return name if name in LAYERS else None


def upward_reaches(source: str, app: str) -> list[str]:
    """Each place in `source` (a module of `app`) that reaches a higher app by importlib,
    `__import__`, `apps.get_model`, `apps.get_app_config` or `include`; a computed name counts
    too (it could be any app), except in the top app, which has nothing above it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in DYNAMIC_IMPORTS:
            continue
        target = _target_app(node)
        if target == "?" and app != LAYERS[-1]:
            found.append(f"line {node.lineno}: {ast.unparse(node)} (a computed name)")
        elif target not in (None, "?") and LAYERS.index(target) > LAYERS.index(app):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


# The project's root URLconf lives in coop, the bottom app, but it is Django's wiring of every
# app's URLs (like INSTALLED_APPS): it names them by path in `include()` and nothing in coop
# calls into them.
ROOT_URLCONF = ROOT / "coop" / "urls.py"


def test_the_scan_finds_each_way_around_the_contract():
    assert upward_reaches("from django.apps import apps\n"
                          "apps.get_model('governance', 'Elector')", "membership")
    assert upward_reaches("apps.get_model('dashboard.Snapshot')", "governance")
    assert upward_reaches("import importlib\nimportlib.import_module('governance.seed')",
                          "membership")
    assert upward_reaches("importlib.util.find_spec('ledger')", "membership")
    assert upward_reaches("__import__('dashboard')", "coop")
    assert upward_reaches("import_module(name)", "coop")  # computed: cannot be checked
    assert upward_reaches("include('membership.urls')", "coop")
    # downward and within the app are fine
    assert not upward_reaches("apps.get_model('membership', 'Member')", "governance")
    assert not upward_reaches("apps.get_model('governance', 'Category')", "governance")
    assert upward_reaches("import_module(settings.SESSION_ENGINE)", "governance")
    assert not upward_reaches("import_module(settings.SESSION_ENGINE)", "dashboard")
    assert not upward_reaches("include('allauth.urls')", "coop")


def test_no_lower_app_reaches_a_higher_one_by_name():
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if path == ROOT_URLCONF:
                continue
            reaches = upward_reaches(path.read_text(), app)
            if reaches:
                found[str(path.relative_to(ROOT))] = reaches
    assert found == {}

