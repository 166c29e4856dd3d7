"""The layers point down (issue 14): a walk over every import in webui/, including the
ones inside functions, fails when a module reaches up or sideways past its layer.

    webui/jfrogml/   the JFrog ML client and service layer: imports no app of Pond's
    webui/core/      shared web parts: imports no feature app
    feature apps     dashboard, reviews, insights, status, activity, sso
    templatetags     format what the view handed over: import no data access
"""

from __future__ import annotations

import ast
from pathlib import Path

WEBUI = Path(__file__).resolve().parents[2] / "webui"
FEATURE_APPS = ("dashboard", "reviews", "insights", "status", "activity", "sso")
# What a data-loading template tag would import.
DATA_ACCESS = ("selectors", "services", "sources", "models", "client", "cache", "catalog", "panels")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in the module, each `from a import b` as `a.b`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (WEBUI / folder).rglob("*.py") if "migrations" not in p.parts)


def _violations(paths: list[Path], forbidden) -> list[str]:
    return [
        f"{path.relative_to(WEBUI.parent)}:{line} imports {name}"
        for path in paths
        for line, name in _imports(path)
        if forbidden(name)
    ]


def _app_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "webui" else None


# Leaves the service layer may use: they import nothing of Pond's (checked below).
LEAVES = ("webui.env", "webui.metrics.instruments", "webui.metrics.process")


def _leaf(name: str) -> bool:
    return any(name == leaf or name.startswith(leaf + ".") for leaf in LEAVES)


def test_the_service_layer_imports_no_app():
    def reaches_up(name: str) -> bool:
        return _app_of(name) not in (None, "jfrogml") and not _leaf(name)

    assert _violations(_modules("jfrogml"), reaches_up) == []


def test_the_leaves_import_nothing_of_pond():
    leaves = [WEBUI / "env.py", WEBUI / "metrics" / "__init__.py", WEBUI / "metrics" / "instruments.py",
              WEBUI / "metrics" / "process.py"]  # fmt: skip
    assert _violations(leaves, lambda n: _app_of(n) is not None and not _leaf(n)) == []


def test_core_imports_no_feature_app():
    assert _violations(_modules("core"), lambda n: _app_of(n) in FEATURE_APPS) == []


def test_only_the_service_layer_talks_to_the_client():
    """Views, reviews and the poller go through webui.jfrogml.services, never the client."""
    outside = [p for p in WEBUI.rglob("*.py") if "jfrogml" not in p.parts and "migrations" not in p.parts]
    assert _violations(outside, lambda n: n.startswith("webui.jfrogml.client.get_client")) == []


def test_template_tags_load_no_data():
    tags = sorted(WEBUI.glob("*/templatetags/*.py"))
    assert tags, "no template tag libraries found: the walk is looking in the wrong place"

    def loads_data(name: str) -> bool:
        return name.startswith("webui.") and any(part in DATA_ACCESS for part in name.split(".")[2:])

    assert _violations(tags, loads_data) == []


def test_the_walk_sees_imports_inside_functions(tmp_path):
    """The control: a function-level import is found, so a test above cannot pass by
    not looking."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from webui.dashboard.views import x\n", encoding="utf-8")
    assert _imports(module) == [(2, "webui.dashboard.views.x")]
