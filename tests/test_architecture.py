"""Meta-tests that keep the tree honest: layering, one commit per request, URL style, the policy table, docstrings."""
import ast
import inspect
import re
from pathlib import Path

import pytest

from inclusive_access import security
from inclusive_access.models import ROLES
from tests.conftest import make_app

PACKAGE = Path(__file__).resolve().parent.parent / "inclusive_access"
FORBIDDEN_IN_DOMAIN = ("flask", "flask_login", "flask_wtf", "inclusive_access.blueprints", "inclusive_access.reporting")
#: rules that serve files and are not pages (their <path:...> parameters are typed anyway)
FILE_RULES = {"/static/<path:filename>", "/assets/<path:filename>"}


@pytest.fixture(scope="module")
def web_app():
    """The app without a database (its routes need none to be listed): an in-memory SQLite URL will do."""
    return make_app("sqlite://")


@pytest.fixture(scope="module")
def url_map(web_app):
    return web_app.url_map


def _modules(*parts: str) -> list[Path]:
    return sorted(p for part in parts for p in (PACKAGE / part).rglob("*.py"))


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
            names += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IN_DOMAIN)


def test_the_scans_see_the_code():
    """Guard against a moved package making the other scans pass vacuously."""
    assert len(_modules("domain")) >= 5
    assert len(_modules("models")) >= 3
    assert _forbidden("flask")
    assert _forbidden("flask_login.utils")
    assert _forbidden("inclusive_access.reporting.queries")
    assert not _forbidden("flask_sqlalchemy")
    assert not _forbidden("inclusive_access.domain.events")


@pytest.mark.parametrize("path", _modules("domain"), ids=lambda p: p.name)
def test_domain_imports_no_web_layer(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = [f"line {line}: {name}" for line, name in _imported_names(tree) if _forbidden(name)]
    assert not bad, f"{path.name} imports the web layer: {bad}"


@pytest.mark.parametrize("path", _modules("domain", "models"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_domain_and_models_never_commit(path):
    """One commit per request, in the route: domain functions and models only flush."""
    tree = ast.parse(path.read_text(), filename=str(path))
    commits = [node.lineno for node in ast.walk(tree)
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]
    assert not commits, f"{path.name} calls .commit() on lines {commits}"


def test_urls_are_kebab_case_and_every_parameter_is_typed(url_map):
    problems = []
    for rule in url_map.iter_rules():
        if rule.rule in FILE_RULES:
            continue
        literal = re.sub(r"<[^>]*>", "", rule.rule)
        for segment in filter(None, literal.split("/")):
            # FHIR names its operations $name (the bulk export's $export)
            operation = r"\$?" if rule.rule.startswith("/fhir/") else ""
            if not re.fullmatch(operation + r"[a-z0-9]+(?:-[a-z0-9]+)*", segment):
                problems.append(f"{rule.rule}: '{segment}' is not kebab-case")
        for param in re.findall(r"<([^>]*)>", rule.rule):
            if ":" not in param:
                problems.append(f"{rule.rule}: <{param}> has no converter")
    assert not problems, problems


def test_every_endpoint_is_in_the_policy_table(url_map):
    endpoints = {rule.endpoint for rule in url_map.iter_rules()}
    unguarded = sorted(e for e in endpoints - set(security.ACCESS) - security.PUBLIC
                       if not security.token_authenticated(e))  # the FHIR API checks its tokens itself
    assert not unguarded, f"endpoints with no entry in security.ACCESS (refused to everyone): {unguarded}"
    stale = sorted((set(security.ACCESS) | security.PUBLIC) - endpoints)
    assert not stale, f"policy entries for endpoints that do not exist: {stale}"
    both = sorted(set(security.ACCESS) & security.PUBLIC)
    assert not both, f"endpoints both public and role-guarded: {both}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_starts_with_a_docstring(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    docstring = ast.get_docstring(tree)
    assert docstring, f"{path} has no module docstring"
    assert tree.body[0].lineno == 1, f"{path}: the docstring must be the first line"


def test_role_sets_are_named_once_in_the_access_module():
    """A set of roles spelt out anywhere but domain/access.py is a second name for a rule that has one."""
    roles = set(ROLES)
    spelt = [f"{path.relative_to(PACKAGE)}:{node.lineno}"
             for path in sorted(PACKAGE.rglob("*.py")) if path != PACKAGE / "domain" / "access.py"
             for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
             if isinstance(node, ast.Set) and node.elts
             and all(isinstance(e, ast.Constant) and e.value in roles for e in node.elts)]
    assert not spelt, f"role sets spelt out outside domain/access.py: {spelt}"


def test_every_route_reads_as_a_few_steps(web_app):
    """A route validates, calls the domain and answers (blueprints/commands.py holds the rest): none is over 20
    lines, its def to its last line."""
    long_ones = []
    for endpoint, view in web_app.view_functions.items():
        if not view.__module__.startswith("inclusive_access.blueprints"):
            continue
        lines, _start = inspect.getsourcelines(inspect.unwrap(view))
        body = [line for line in lines if not line.lstrip().startswith("@")]
        if len(body) > 20:
            long_ones.append(f"{endpoint}: {len(body)} lines")
    assert not long_ones, long_ones
