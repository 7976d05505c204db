"""Rules of the code's shape that a reviewer would otherwise have to catch by eye."""

import ast
from pathlib import Path

import mercato

SRC = Path(mercato.__file__).parent


def _module_name(path: Path, src: Path = SRC) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, src: Path = SRC):
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    package = _module_name(path, src)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module
            # `from mercato.x import tests` names the tests package too
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def _tests_package(module: str) -> str | None:
    """'mercato.cart.tests' for any module inside an app's tests package, else None."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[0] == "mercato" and parts[2] == "tests":
        return ".".join(parts[:3])
    return None


def test_no_module_imports_another_apps_tests():
    """Shared factories and fixtures live in mercato.testing: a module imports an app's tests
    package only from inside that same package (never checkout/tests/conftest.py from
    storefront, never a test module's fixtures from another app)."""
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        own = _tests_package(_module_name(path))
        for line, module in _imported_modules(path):
            imported = _tests_package(module)
            if imported and imported != own:
                offences.append(f"{path.relative_to(SRC.parent)}:{line} imports {module}")
    assert not offences, "import from mercato.testing instead:\n" + "\n".join(offences)


def test_the_import_check_sees_relative_and_absolute_imports(tmp_path):
    """The check above resolves `from ...checkout.tests import x` and `import a.b.tests.c`."""
    path = tmp_path / "mercato" / "storefront" / "tests" / "test_example.py"
    path.parent.mkdir(parents=True)
    path.write_text("from ...checkout.tests.conftest import x\nimport mercato.cart.tests.helpers\n")
    modules = {m for _, m in _imported_modules(path, tmp_path / "mercato")}
    assert {"mercato.checkout.tests.conftest", "mercato.cart.tests.helpers"} <= modules
    assert _tests_package(_module_name(path, tmp_path / "mercato")) == "mercato.storefront.tests"
