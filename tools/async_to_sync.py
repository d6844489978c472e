#!/usr/bin/env python
"""Generate the sync twin of each hand-written async module.

Every ``x_async.py`` listed in `INPUTS` becomes ``x.py`` beside it: ``async def`` →
``def``, ``await x`` → ``x``, ``async with``/``async for`` → ``with``/``for``, names
renamed through `RENAMES` (and ``AsyncX`` → ``X``), "(async version)" → "(sync version)"
in docstrings. An ``if True:`` whose body opens with the comment ``# ASYNC`` keeps only its
``else:`` body. The output is then formatted and its imports pruned with ruff.

    python tools/async_to_sync.py            # regenerate every output
    python tools/async_to_sync.py --check    # fail if any output is stale, hand-edited,
                                             # or carries the header without being an output

Run it under the Python version pinned in the noxfile (``nox -s sync``): ``ast.unparse``
output differs between versions.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import ast_comments

ROOT = Path(__file__).resolve().parent.parent

INPUTS = [
    "core/sessionjar/manager_async.py",
    "core/sessionjar/session_async.py",
    "core/sessionjar/keys_async.py",
    "core/sessionjar/_legacy_async.py",
    "core/sessionjar/drivers/memory/store_async.py",
    "core/sessionjar/_web_flow_async.py",
    "core/tests/test_memory_store_async.py",
    "core/tests/test_manager_async.py",
    "core/tests/test_session_async.py",
    "core/tests/test_keys_async.py",
    "core/tests/test_refresh_async.py",
    "core/tests/test_bad_input_async.py",
    "core/tests/test_merge_async.py",
    "core/tests/test_events_async.py",
    "core/tests/test_legacy_async.py",
    "conformance_tests/sessionjar_conformance/fixtures_async.py",
    "conformance_tests/sessionjar_conformance/test_create_async.py",
    "conformance_tests/sessionjar_conformance/test_read_async.py",
    "conformance_tests/sessionjar_conformance/test_liveness_async.py",
    "conformance_tests/sessionjar_conformance/test_update_async.py",
    "conformance_tests/sessionjar_conformance/test_delete_async.py",
    "conformance_tests/sessionjar_conformance/test_listing_async.py",
    "conformance_tests/sessionjar_conformance/test_expiry_async.py",
    "conformance_tests/sessionjar_conformance/test_signing_keys_async.py",
    "conformance_tests/sessionjar_conformance/test_session_api_async.py",
    "conformance_tests/sessionjar_conformance/test_rotation_async.py",
    "conformance_tests/sessionjar_conformance/test_theft_async.py",
    "conformance_tests/sessionjar_conformance/test_isolation_async.py",
    "conformance_tests/sessionjar_conformance/test_serialization_async.py",
    "conformance_tests/sessionjar_conformance/test_bad_input_async.py",
    "conformance_tests/sessionjar_conformance/test_concurrency_async.py",
    "conformance_tests/sessionjar_conformance/test_faults_async.py",
    "conformance_tests/sessionjar_conformance/test_network_faults_async.py",
    "conformance_tests/sessionjar_conformance/test_exact_matching_async.py",
    "conformance_tests/sessionjar_conformance/test_copies_async.py",
    "conformance_tests/sessionjar_conformance/test_times_async.py",
    "conformance_tests/sessionjar_conformance/test_atomicity_async.py",
    "conformance_tests/sessionjar_conformance/test_devices_async.py",
    "conformance_tests/sessionjar_conformance/test_user_sessions_async.py",
    "conformance_tests/sessionjar_conformance/test_cleanup_async.py",
    "drivers/mongodb/sessionjar_mongodb/store_async.py",
    "drivers/mongodb/tests/test_store_async.py",
    "drivers/mongodb/tests/test_conformance_async.py",
    "drivers/redis/sessionjar_redis/store_async.py",
    "drivers/redis/tests/test_store_async.py",
    "drivers/redis/tests/test_conformance_async.py",
    "drivers/postgres/sessionjar_postgres/store_async.py",
    "drivers/postgres/tests/test_conformance_async.py",
    "drivers/postgres/tests/test_store_async.py",
    "drivers/postgres/tests/test_faults_async.py",
    "drivers/postgres/tests/test_recovery_async.py",
    "drivers/postgres/tests/test_statements_async.py",
]

RENAMES = {
    "agather": "gather",
    "Awaitable": "Callable",
    "asynccontextmanager": "contextmanager",
    "ALock": "Lock",
    "asleep": "sleep",
    "ato_thread": "to_thread",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aclose": "close",
    "manager_async": "manager",
    "session_async": "session",
    "keys_async": "keys",
    "_legacy_async": "_legacy",
    "store_async": "store",
    "open_async_store": "open_store",
    # core session tests (core/tests/fix_manager.py)
    "amanager": "manager",
    "make_amanager": "make_manager",
    "MakeAsync": "MakeSync",
    "aparallel_calls": "parallel_calls",
    # conformance suite (conformance_tests/sessionjar_conformance)
    "afixture": "fixture",
    "aparallel": "parallel",
    "fixtures_async": "fixtures",
    "test_faults_async": "test_faults",
    "test_bad_input_async": "test_bad_input",
    # MongoDB driver (drivers/mongodb): pymongo.asynchronous mirrors pymongo.synchronous
    "asynchronous": "synchronous",
    # PostgreSQL driver (drivers/postgres): psycopg and psycopg_pool name pairs
}

HEADER = (
    "# WARNING: this file was generated by tools/async_to_sync.py\n"
    "# from the original file {source}\n"
    "# DO NOT CHANGE! Change the original file instead. (body sha256 {digest})\n"
)
_HEADER_RE = re.compile(
    r"\A# WARNING: this file was generated by tools/async_to_sync.py\n"
    r"# from the original file (?P<source>\S+)\n"
    r"# DO NOT CHANGE! Change the original file instead. \(body sha256 (?P<digest>[0-9a-f]+)\)\n"
)
_ASYNC_NAME = re.compile(r"Async([A-Z]\w*)")
_WORDS = re.compile(r"\b(" + "|".join(map(re.escape, RENAMES)) + r"|Async[A-Z]\w*)\b")


def rename(name: str) -> str:
    """Return the sync name of ``name``: `RENAMES`, or ``AsyncX`` → ``X``, or itself."""
    if name in RENAMES:
        return RENAMES[name]
    match = _ASYNC_NAME.fullmatch(name)
    return match[1] if match else name


def rename_text(text: str) -> str:
    """Apply `rename` to whole words of a text."""
    return _WORDS.sub(lambda m: rename(m.group(1)), text)


class AsyncToSync(ast.NodeTransformer):
    """Rewrites an async module's tree into its sync twin."""

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        self._docstring(node)
        node.name = rename(node.name)
        return self.generic_visit(ast.FunctionDef(**_fields(node)))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self._docstring(node)
        node.name = rename(node.name)
        return self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self._docstring(node)
        node.name = rename(node.name)
        return self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        # Names in __all__ and string annotations are renamed like the names they spell.
        if isinstance(node.value, str) and node.value.isidentifier():
            node.value = rename(node.value)
        return node

    def visit_Module(self, node: ast.Module) -> ast.AST:
        self._docstring(node)
        return self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> ast.AST:
        return self.generic_visit(ast.With(**_fields(node)))

    def visit_AsyncFor(self, node: ast.AsyncFor) -> ast.AST:
        return self.generic_visit(ast.For(**_fields(node)))

    def visit_Await(self, node: ast.Await) -> ast.AST:
        return cast(ast.AST, self.visit(node.value))

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        node.is_async = 0
        return self.generic_visit(node)

    def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt]:
        body = node.body
        if (
            isinstance(node.test, ast.Constant)
            and node.test.value is True
            and body
            and isinstance(body[0], ast_comments.Comment)
            and body[0].value.strip() == "# ASYNC"
        ):
            return [self.visit(stmt) for stmt in node.orelse]
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = rename(node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        node.attr = rename(node.attr)
        return self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = rename(node.arg)
        return self.generic_visit(node)

    def visit_alias(self, node: ast.alias) -> ast.AST:
        node.name = ".".join(rename(part) for part in node.name.split("."))
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        if node.module:
            node.module = ".".join(rename(p) for p in node.module.split("."))
        return self.generic_visit(node)

    def visit_Comment(self, node: ast_comments.Comment) -> ast.AST:
        node.value = rename_text(node.value).replace("(async version)", "(sync version)")
        return cast(ast.AST, node)

    def _docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", None)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            const = body[0].value
            if isinstance(const.value, str):
                text = const.value.replace("(async version)", "(sync version)")
                const.value = rename_text(text)


def _fields(node: ast.AST) -> dict[str, Any]:
    fields = {name: getattr(node, name) for name in node._fields if hasattr(node, name)}
    fields.update({name: getattr(node, name) for name in node._attributes if hasattr(node, name)})
    return fields


def output_path(source: Path) -> Path:
    """Return where the sync twin of ``source`` goes: ``x_async.py`` → ``x.py``."""
    if not source.name.endswith("_async.py"):
        raise SystemExit(f"{source}: an input's name must end in _async.py")
    return source.with_name(source.name.removesuffix("_async.py") + ".py")


def _ruff(args: list[str], code: str, path: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(path), "-"],
        input=code,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode not in (0, 1) or not result.stdout:
        raise SystemExit(f"ruff failed on {path}:\n{result.stderr}")
    return result.stdout


def convert(source: Path) -> str:
    """Return the full text of the sync twin of ``source``, header included."""
    tree = ast_comments.parse(source.read_text())
    tree = ast.fix_missing_locations(AsyncToSync().visit(tree))
    code = ast_comments.unparse(tree) + "\n"
    out = output_path(source)
    code = _ruff(["check", "--fix", "--quiet", "--select", "F401,I001", "--exit-zero"], code, out)
    code = _ruff(["format", "--quiet"], code, out)
    digest = hashlib.sha256(code.encode()).hexdigest()[:16]
    rel = source.relative_to(ROOT).as_posix()
    return HEADER.format(source=rel, digest=digest) + code


def edited_by_hand(text: str) -> bool:
    """Tell whether a generated file's body no longer matches the digest in its header."""
    match = _HEADER_RE.match(text)
    if not match:
        return True
    body = text[match.end() :]
    return hashlib.sha256(body.encode()).hexdigest()[:16] != match["digest"]


def stray_outputs(expected: set[Path]) -> list[Path]:
    """Return files carrying the generated header that no input produces."""
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    stray = []
    for name in tracked:
        path = ROOT / name
        if path not in expected and path.is_file() and _HEADER_RE.match(path.read_text()):
            stray.append(path)
    return stray


def main() -> int:
    """Regenerate (or with ``--check``, verify) every sync twin."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify instead of writing")
    parser.add_argument("--force", action="store_true", help="overwrite hand-edited outputs")
    args = parser.parse_args()
    problems: list[str] = []
    expected = set()
    for name in INPUTS:
        source = ROOT / name
        out = output_path(source)
        expected.add(out)
        text = convert(source)
        current = out.read_text() if out.exists() else None
        if current == text:
            continue
        if args.check:
            problems.append(f"{out.relative_to(ROOT)} is stale: run `nox -s sync`")
        elif current is not None and edited_by_hand(current) and not args.force:
            problems.append(f"{out.relative_to(ROOT)} was edited by hand; edit {name} instead")
        else:
            out.write_text(text)
            print(f"wrote {out.relative_to(ROOT)}")
    for path in stray_outputs(expected):
        problems.append(f"{path.relative_to(ROOT)} carries the generated header but is no output")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
