"""The Python examples in the documentation run, and show what they compute.

Each page's ``python`` blocks run in order in one namespace, as a reader would paste them. An
expression followed by a comment that starts like a value (a number, a quoted string, a bracket,
``None``, ``True``, ``False``, ``Interval(`` or ``Decimal(``) is checked: the comment, up to an
optional ``": "`` or ``", "`` that starts an explanation, must equal the value's ``repr`` or
``str``, where ``...`` stands for any text. A ``print`` followed by comment lines must print those
lines (joined with spaces).
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import tokenize
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
PAGES = sorted((ROOT / "docs").rglob("*.md"))
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
_VALUE_LIKE = re.compile(r"""^(?:[-\d'"(\[{]|None\b|True\b|False\b|Interval\(|Decimal\()""")


def _pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part) for part in expected.split("...")), re.S)


def _candidates(comment: str) -> list[str]:
    """The comment whole, and each prefix that ends before an explanation."""
    cuts = [m.start() for m in re.finditer(r"[:,] ", comment)]
    return [comment, *(comment[:cut] for cut in cuts)]


def _matches(comment: str, value: Any) -> bool:
    shown = {repr(value), str(value)}
    return any(_pattern(candidate).fullmatch(text) for candidate in _candidates(comment) for text in shown)


def _comments(code: str) -> dict[int, str]:
    """The comment ending each line of ``code``, by line number."""
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    return {t.start[0]: t.string[1:].strip() for t in tokens if t.type == tokenize.COMMENT and t.start[1] > 0}


def _check_block(code: str, namespace: dict[str, Any], where: str) -> int:
    """Run one block statement by statement; return how many shown values were checked."""
    lines = code.splitlines()
    comments = _comments(code)
    checked = 0
    for statement in ast.parse(code).body:
        source = "\n".join(lines[statement.lineno - 1 : statement.end_lineno])
        assert statement.end_lineno is not None
        comment = comments.get(statement.end_lineno)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            if isinstance(statement, ast.Expr):
                value = eval(compile(ast.Expression(statement.value), where, "eval"), namespace)
            else:
                exec(compile(ast.Module([statement], []), where, "exec"), namespace)
        if isinstance(statement, ast.Expr) and comment is not None and _VALUE_LIKE.match(comment):
            assert _matches(comment, value), f"{where}: {source!r} gives {value!r}, page says {comment!r}"
            checked += 1
        following = []
        for line in lines[statement.end_lineno :]:
            if not line.startswith("# "):
                break
            following.append(line[2:].strip())
        if out.getvalue() and following:
            printed = " ".join(out.getvalue().split())
            expected = " ".join(following)
            assert _pattern(expected).fullmatch(printed), (
                f"{where}: printed {printed!r}, page says {expected!r}"
            )
            checked += 1
    return checked


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_examples_run_and_show_their_values(page: Path) -> None:
    blocks = _BLOCK.findall(page.read_text())
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    checked = sum(
        _check_block(code, namespace, f"{page.name} block {i + 1}") for i, code in enumerate(blocks)
    )
    shown = [c for code in blocks for c in _comments(code).values() if _VALUE_LIKE.match(c)]
    assert checked >= len(shown), f"{page.name}: {len(shown)} values shown, {checked} checked"


def test_a_wrong_value_in_a_comment_is_caught() -> None:
    with pytest.raises(AssertionError, match="page says"):
        _check_block("1 + 1  # 3", {}, "check")
    with pytest.raises(AssertionError, match="page says"):
        _check_block("print('a')\n# b", {}, "check")
    assert _check_block("0.1 + 0.2  # 0.3...: about", {}, "check") == 1
    assert _check_block("'x'  # a prose comment is not checked", {}, "check") == 0
