"""The product's code does not import the test API: `engine.testing` (assertions, the pytest plugin, the consistency
check) is built on the product's public surface, never the other way round."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("engine", "pbj", "workers")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_product_code_does_not_import_the_test_api() -> None:
    offenders = sorted(
        str(path.relative_to(ROOT))
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if "testing" not in path.relative_to(ROOT / package).parts
        and any(name == "engine.testing" or name.startswith("engine.testing.") for name in _imports(path))
    )
    assert offenders == []
