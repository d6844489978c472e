"""Every Python code block of the user guide and the READMEs runs, so that none can rot.

The convention (docs/development.md, "Code samples"):

- The ``python`` blocks of a page run in order, in one namespace per page, in a fresh
  temporary directory (``sqlite:///sessions.db`` lands there), as a script would: no
  top-level ``await``.
- A ``test_*`` function that a block defines is called after the block, its parameters
  taken by name from the page's namespace.
- An HTML comment right before a block changes that, unseen on the rendered page:
  ``<!-- sample: skip (REASON) -->`` does not run it (the reason is required);
  ``<!-- sample: setup`` + code + ``-->`` runs that code first, to give a fragment what
  its context would (the setup may call ``run_page(module_name, page)``, which runs
  another page's samples as an importable module);
  ``<!-- sample: excerpt PATH -->`` runs nothing but requires the block's lines, in
  order, in the repository file PATH, so a quoted excerpt follows its source.
- A block of any language marked ``<!-- sample: transcript -->`` is a terminal session:
  each ``$ sessionjar ...`` line runs, and prints the lines below it (``...`` matches
  anything).
"""

from __future__ import annotations

import logging
import re
import shlex
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import sessionjar
from sessionjar import _events

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    [
        *ROOT.glob("docs/**/*.md"),
        ROOT / "README.md",
        *ROOT.glob("*/README.md"),
        *ROOT.glob("drivers/*/README.md"),
        *ROOT.glob("examples/*/README.md"),
    ]
)
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>\w*)\s*$")
# Recent Starlette announces that its TestClient moves from httpx to httpx2: a user sees
# a warning, not an error, and the pages show the TestClient as users import it.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
MARKER = re.compile(
    r"<!-- sample: (?P<kind>skip|setup|excerpt|transcript)(?P<rest>.*?)-->\s*$", re.DOTALL
)


@dataclass(frozen=True)
class Block:
    """One ``python`` block of a page, with the marker comment right before it."""

    page: Path
    line: int
    code: str
    kind: str  # "run", "skip", "excerpt"
    argument: str = ""  # the skip's reason, the excerpt's path
    setup: str = ""

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> Iterator[Block]:
    """The page's ``python`` blocks in order, each with its marker (if any)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = index + 1
        while lines[end].strip() != "```":
            end += 1
        code = textwrap.dedent("\n".join(lines[index + 1 : end]))
        comment = _comment_before(lines, index)
        if fence["lang"] in ("python", "py"):
            yield _with_marker(Block(page, index + 1, code, "run"), comment)
        elif comment.startswith("<!-- sample: transcript"):
            yield Block(page, index + 1, code, "transcript")
        index = end + 1


def _comment_before(lines: list[str], index: int) -> str:
    """The HTML comment that ends on the line right before line ``index``, or ``""``."""
    end = index - 1
    if end < 0 or not lines[end].rstrip().endswith("-->"):
        return ""
    start = end
    while "<!--" not in lines[start]:
        start -= 1
    return "\n".join(lines[start : end + 1]).strip()


def _with_marker(block: Block, comment: str) -> Block:
    marker = MARKER.fullmatch(comment)
    if not comment.startswith("<!-- sample:"):
        return block
    assert marker, f"{block.where}: unreadable sample marker {comment!r}"
    kind, rest = marker["kind"], marker["rest"]
    if kind == "setup":
        # a blank line could end the comment's HTML block and show the code on the site
        assert "\n\n" not in rest.strip(), f"{block.where}: a setup holds no blank line"
        return Block(block.page, block.line, block.code, "run", setup=textwrap.dedent(rest))
    argument = rest.strip()
    if kind == "skip":
        argument = argument.removeprefix("(").removesuffix(")").strip()
        assert argument, f"{block.where}: a skipped sample names its reason: (REASON)"
    return Block(block.page, block.line, block.code, kind, argument)


def run_page(name: str, page: str | Path) -> types.ModuleType:
    """Run a page's samples in a new module ``name``, importable while the test runs."""
    module = types.ModuleType(name)
    module.__dict__["run_page"] = run_page
    sys.modules[name] = module
    for block in blocks_of(ROOT / page):
        if block.kind == "run":
            _run(block, module.__dict__)
        elif block.kind == "excerpt":
            _check_excerpt(block)
        elif block.kind == "transcript":
            _check_transcript(block)
    return module


def _run(block: Block, namespace: dict[str, object]) -> None:
    # running the repository's own documentation is the point of this module
    if block.setup:
        exec(compile(block.setup, f"{block.where} (setup)", "exec"), namespace)  # noqa: S102
    before = set(namespace)
    exec(compile(block.code, block.where, "exec"), namespace)  # noqa: S102
    for name in sorted(set(namespace) - before):
        test = namespace[name]
        if name.startswith("test_") and callable(test):
            _call_test(test, namespace)


def _call_test(test: Callable[..., object], namespace: dict[str, object]) -> None:
    code = test.__code__
    names = code.co_varnames[: code.co_argcount]
    test(*(namespace[name] for name in names))


def _check_excerpt(block: Block) -> None:
    source = (ROOT / block.argument).read_text(encoding="utf-8").splitlines()
    wanted = [line for line in map(_code_of, block.code.splitlines()) if line]
    found = iter(map(_code_of, source))
    missing = [line for line in wanted if line not in found]
    assert not missing, f"{block.where}: not in {block.argument} (in order): {missing[0]!r}"


def _check_transcript(block: Block) -> None:
    """Run each ``$ sessionjar ...`` line; what it prints must be the lines below it."""
    steps = re.split(r"^\$ ", block.code, flags=re.MULTILINE)[1:]
    for step in steps:
        command, *expected = step.rstrip("\n").split("\n")
        words = shlex.split(command)
        assert words[0] == "sessionjar", f"{block.where}: a transcript runs sessionjar only"
        result = subprocess.run(
            [sys.executable, "-m", "sessionjar", *words[1:]],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        printed = (result.stdout + result.stderr).rstrip("\n").split("\n")
        pattern = [re.escape(line).replace(re.escape("..."), ".*") for line in expected]
        assert len(printed) == len(pattern), f"{block.where}: $ {command}\n{printed}"
        for line, wanted in zip(printed, pattern, strict=True):
            assert re.fullmatch(wanted, line), f"{block.where}: $ {command}\n{line!r}"


def _code_of(line: str) -> str:
    """A line without its indentation and comment: an excerpt may comment differently."""
    return line.split("#", 1)[0].strip() if "#" in line else line.strip()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh directory; hooks, loggers and modules a page adds are undone afterwards."""
    monkeypatch.chdir(tmp_path)
    hooks = set(_events._plugins.get_plugins())
    modules = set(sys.modules)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for plugin in set(_events._plugins.get_plugins()) - hooks:
        sessionjar.unregister_hooks(plugin)
    for name in set(sys.modules) - modules:
        if name.startswith("sample_") or name == "myapp":
            del sys.modules[name]
    root.handlers[:], root.level = handlers, level


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_page_samples_run(page: Path) -> None:
    """The page's blocks run in order in one namespace; excerpts match their source."""
    name = "sample_" + re.sub(r"\W", "_", str(page.relative_to(ROOT)))
    run_page(name, page)


def test_skips_are_rare_and_reasoned() -> None:
    """Every skip names its reason, and skips stay a small part of the samples."""
    blocks = [block for page in PAGES for block in blocks_of(page)]
    skipped = [block for block in blocks if block.kind == "skip"]
    assert all(block.argument for block in skipped)
    assert len(skipped) * 5 <= len(blocks), [block.where for block in skipped]
