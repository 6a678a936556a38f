"""Expressions compiled to Python against a naive three-valued evaluator written here.

`expr.compile_python` turns a block's expressions into one straight-line function, each shared
node computed once. These properties build random expressions over a small record and check
every value against a direct reading of the rules: a comparison with a missing value is unknown,
``&`` is False when either side is False, else unknown when either is unknown, ``|`` the same
with True, ``~`` of unknown is unknown, and ``when`` gives its value only where its condition is
True.
"""

from __future__ import annotations

import enum
import operator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy_kpis.expr import Env, Expr, compile_python, field, lit

ENV = Env({}, datetime(2026, 1, 1, tzinfo=UTC))


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


# -- a naive evaluator over (kind, ...) trees -------------------------------------------------------

Tree = tuple[Any, ...]
COMPARISONS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt}


def evaluate(tree: Tree, record: Any) -> Any:
    kind = tree[0]
    if kind == "field":
        value = getattr(record, tree[1])
        return value.value if isinstance(value, enum.Enum) else value
    if kind == "lit":
        return tree[1]
    if kind == "compare":
        a, b = evaluate(tree[2], record), evaluate(tree[3], record)
        return None if a is None or b is None else COMPARISONS[tree[1]](a, b)
    if kind == "add":
        a, b = evaluate(tree[1], record), evaluate(tree[2], record)
        return None if a is None or b is None else a + b
    if kind == "sub":
        a, b = evaluate(tree[1], record), evaluate(tree[2], record)
        return None if a is None or b is None else a - b
    if kind == "and":
        values = [evaluate(tree[1], record), evaluate(tree[2], record)]
        if False in values:
            return False
        return None if None in values else True
    if kind == "or":
        values = [evaluate(tree[1], record), evaluate(tree[2], record)]
        if True in values:
            return True
        return None if None in values else False
    if kind == "not":
        value = evaluate(tree[1], record)
        return None if value is None else not value
    if kind == "is_null":
        return evaluate(tree[1], record) is None
    if kind == "is_in":
        value = evaluate(tree[1], record)
        return None if value is None else value in tree[2]
    if kind == "fill_null":
        value = evaluate(tree[1], record)
        return tree[2] if value is None else value
    if kind == "when":
        return evaluate(tree[2], record) if evaluate(tree[1], record) is True else None
    if kind == "len":
        value = evaluate(tree[1], record)
        return None if value is None else len(value)
    if kind == "contains":
        value = evaluate(tree[1], record)
        return None if value is None else tree[2] in value
    raise AssertionError(kind)


def build(tree: Tree) -> Expr:
    kind = tree[0]
    if kind == "field":
        return field(tree[1])
    if kind == "lit":
        return lit(tree[1])
    if kind == "compare":
        left, right = build(tree[2]), build(tree[3])
        return {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
        }[tree[1]]
    if kind == "add":
        return build(tree[1]) + build(tree[2])
    if kind == "sub":
        return build(tree[1]) - build(tree[2])
    if kind == "and":
        return build(tree[1]) & build(tree[2])
    if kind == "or":
        return build(tree[1]) | build(tree[2])
    if kind == "not":
        return ~build(tree[1])
    if kind == "is_null":
        return build(tree[1]).is_null()
    if kind == "is_in":
        return build(tree[1]).is_in(list(tree[2]))
    if kind == "fill_null":
        return build(tree[1]).fill_null(tree[2])
    if kind == "when":
        return build(tree[2]).when(build(tree[1]))
    if kind == "len":
        return build(tree[1]).list_len()
    if kind == "contains":
        return build(tree[1]).contains(tree[2])
    raise AssertionError(kind)


# -- strategies ---------------------------------------------------------------------------------------

small = st.integers(-3, 3)
numbers: st.SearchStrategy[Tree] = st.recursive(
    st.one_of(
        st.sampled_from([("field", "a"), ("field", "b"), ("field", "n")]),
        small.map(lambda v: ("lit", v)),
        st.builds(lambda items: ("len", ("field", items)), st.just("items")),
    ),
    lambda inner: st.one_of(
        st.tuples(st.just("add"), inner, inner),
        st.tuples(st.just("sub"), inner, inner),
        st.tuples(st.just("fill_null"), inner, small),
    ),
    max_leaves=4,
)


def conditions(numbers_: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    leaves = st.one_of(
        st.tuples(st.just("compare"), st.sampled_from(sorted(COMPARISONS)), numbers_, numbers_),
        st.just(("field", "flag")),
        st.tuples(st.just("is_null"), numbers_),
        st.tuples(st.just("is_in"), numbers_, st.frozensets(small, max_size=3)),
        st.tuples(st.just("compare"), st.just("=="), st.just(("field", "colour")), st.just(("lit", "red"))),
        st.tuples(st.just("contains"), st.just(("field", "items")), st.sampled_from(["x", "y"])),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(st.just("and"), inner, inner),
            st.tuples(st.just("or"), inner, inner),
            st.tuples(st.just("not"), inner),
        ),
        max_leaves=6,
    )


trees = st.one_of(conditions(numbers), st.tuples(st.just("when"), conditions(numbers), numbers), numbers)
records = st.builds(
    SimpleNamespace,
    a=st.none() | small,
    b=st.none() | small,
    n=st.none() | small,
    flag=st.none() | st.booleans(),
    colour=st.none() | st.sampled_from(Colour),
    items=st.none() | st.lists(st.sampled_from(["x", "y", "z"]), max_size=3),
)


# Each example costs well under a millisecond: many, in make test too.
@settings(max_examples=300)
@given(tree=trees, record=records)
def test_a_compiled_expression_gives_the_three_valued_value(tree: Tree, record: Any) -> None:
    assert build(tree).python(ENV)(record) == evaluate(tree, record)


@settings(max_examples=300)
@given(first=trees, second=trees, record=records)
def test_expressions_compiled_together_share_nodes_and_give_each_value(
    first: Tree, second: Tree, record: Any
) -> None:
    one = build(first)
    # The second expression is built on the first, so the node is shared, as a block's
    # conditions share theirs.
    shared = one.is_null() | build(second).is_null()
    # The last is built again: equal nodes of distinct objects are one computation too.
    together = compile_python([one, shared, None, build(first)], ENV)(record)
    expected_one = evaluate(first, record)
    shared_value = evaluate(("or", ("is_null", first), ("is_null", second)), record)
    assert together == (expected_one, shared_value, None, expected_one)


def test_a_field_name_that_is_not_an_identifier_is_read_by_name() -> None:
    record = SimpleNamespace(**{"class": 3, "odd name": 4})
    got = compile_python([field("class") + field("odd name")], ENV)(record)
    assert got == (7,)
