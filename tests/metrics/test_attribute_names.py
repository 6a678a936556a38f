"""Names looked up on ``advocacy_kpis.metrics``: a misspelt metric is refused with the closest ids."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

from advocacy_kpis import AdvocacyKpisError, metrics
from advocacy_kpis.errors import UnknownMetricAttributeError, UnknownMetricError

ROOT = Path(__file__).parent.parent.parent


def test_a_misspelt_metric_names_the_closest_metric_id() -> None:
    with pytest.raises(UnknownMetricAttributeError) as caught:
        metrics.net_promotor_score  # noqa: B018
    message = str(caught.value)
    assert message.startswith("module 'advocacy_kpis.metrics' has no attribute 'net_promotor_score'.")
    assert message.endswith("Closest: net_promoter_score.")


def test_a_misspelling_close_to_several_ids_names_them_closest_first() -> None:
    with pytest.raises(UnknownMetricAttributeError, match="Closest: customer_retention_rate, "):
        metrics.customer_retension_rate  # noqa: B018


def test_a_short_name_says_which_function_it_stands_for() -> None:
    with pytest.raises(UnknownMetricAttributeError) as caught:
        metrics.nps  # noqa: B018
    assert "'nps' stands for the metric 'net_promoter_score'" in str(caught.value)
    assert "metrics.net_promoter_score(...)" in str(caught.value)


def test_the_error_is_a_library_error_and_an_attribute_error() -> None:
    with pytest.raises(AttributeError) as caught:
        metrics.net_promotor_score  # noqa: B018
    assert isinstance(caught.value, AdvocacyKpisError)
    assert isinstance(caught.value, UnknownMetricError)


def test_hasattr_getattr_with_a_default_and_from_import_behave_as_on_any_module() -> None:
    assert not hasattr(metrics, "net_promotor_score")
    assert hasattr(metrics, "net_promoter_score")
    sentinel = object()
    assert getattr(metrics, "net_promotor_score", sentinel) is sentinel
    with pytest.raises(ImportError, match="cannot import name 'net_promotor_score'"):
        from advocacy_kpis.metrics import net_promotor_score  # noqa: F401


@pytest.mark.parametrize("name", ["_private", "__wrapped__", "__test__"])
def test_private_and_dunder_names_get_the_plain_attribute_error(name: str) -> None:
    """Tools probe modules for such names; they get no metric suggestion."""
    with pytest.raises(AttributeError) as caught:
        getattr(metrics, name)
    assert type(caught.value) is AttributeError
    assert str(caught.value) == f"module 'advocacy_kpis.metrics' has no attribute {name!r}"


def test_every_public_name_is_a_real_attribute() -> None:
    for name in metrics.__all__:
        assert name in vars(metrics), name


def test_mypy_strict_sees_the_real_attributes_only(tmp_path: Path) -> None:
    """The module __getattr__ is hidden from type checkers, so a typo fails type checking."""
    module = tmp_path / "uses_metrics.py"
    module.write_text(
        textwrap.dedent(
            """
            from advocacy_kpis import metrics

            good = metrics.net_promoter_score
            bad = metrics.net_promotor_score
            """
        )
    )
    out, _, status = mypy_api.run(
        ["--strict", "--no-incremental", "--config-file", str(ROOT / "pyproject.toml"), str(module)]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1
    assert len(errors) == 1, out
    assert 'uses_metrics.py:5: error: Module has no attribute "net_promotor_score"' in errors[0]
