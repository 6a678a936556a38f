"""Benchmark a scorecard grid against hand-written Polars and pandas: run with ``make bench``.

The grid: 32 windows (the eight quarters ending with 2026Q3 and
their 24 months) by 8 segments (all, each tier, each region) for five metrics, on
``sample.generate(n)`` data. The library computes it with `advocacy_kpis.scorecard` from the
`AdvocacyData`; Polars and pandas compute the same cells from frames built once from the records
(outside the timed region), following the catalogue definitions as the library implements them.
Every cell is compared with the library's (counts exactly, floats to 1e-12 relative, money exactly
as Decimal: the frames carry money in integer ten-thousandths of a dollar) before times are shown.

Times are CPU seconds (``time.process_time``, which adds up every thread of the process, so a
multi-threaded Polars pays for all its cores), best of ``--repeat`` runs. Numbers are printed,
never asserted; each goal is printed beside its figure as met or not met.
"""

from __future__ import annotations

import argparse
import cProfile
import enum
import gc
import io
import math
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import attrs

import advocacy_kpis
from advocacy_kpis import AdvocacyData, RevenueBasis, Segment, Window, sample
from advocacy_kpis.records import Contract, Referral, SurveyResponse

METRICS = (
    "net_promoter_score",
    "client_referral_rate",
    "referral_conversion_rate",
    "customer_retention_rate",
    "revenue_from_referrals",
)
READS = {
    "net_promoter_score": "surveys",
    "client_referral_rate": "accounts",
    "referral_conversion_rate": "referrals",
    "customer_retention_rate": "accounts",
    "revenue_from_referrals": "contracts",
}
"""The record family each metric reads, for the per-record figures."""

BASIS = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
HORIZON = timedelta(days=90)
MONEY_EXPONENT = -4
"""Frames hold money as integers of 10**MONEY_EXPONENT dollars: cents times the FX rate in hundredths."""
REL_TOL = 1e-12
SEED = 11

GOAL_US_PER_RECORD = 1.0
GOAL_VERSUS_POLARS = 2.0
GOAL_SEGMENT_GROWTH = 1.25
GOAL_SIZE_DRIFT = 0.20
GOAL_BUILD_US_PER_RECORD = 1.5

Cells = dict[tuple[str, int, int], tuple[Any, Any, Any]]
"""(metric, window index, segment index) -> (value, numerator, denominator)."""


# -- the grid ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridWindow:
    """A window of the grid with its calendar grain and period number (months or quarters since year 0)."""

    window: Window
    grain: str
    key: int


def _month_key(t: datetime) -> int:
    return t.year * 12 + t.month - 1


def _quarter_key(t: datetime) -> int:
    return t.year * 4 + (t.month - 1) // 3


def grid_windows() -> list[GridWindow]:
    """The eight quarters ending with 2026Q3, then their 24 months."""
    quarters = [Window.quarter(2026, 3).shift(-k) for k in range(7, -1, -1)]
    out = [GridWindow(q, "quarter", _quarter_key(q.start)) for q in quarters]
    out += [GridWindow(m, "month", _month_key(m.start)) for q in quarters for m in q.split("month")]
    return out


def _values(data: AdvocacyData, *attributes: str) -> list[Segment]:
    return Segment.by(*attributes).resolve(data)[1:]


def grid_segments(data: AdvocacyData) -> list[Segment]:
    """All accounts, each tier, each region present."""
    return [Segment.all(), *_values(data, "tier"), *_values(data, "region")]


def wide_segments(data: AdvocacyData) -> list[Segment]:
    """64 distinct segments on the sample data: the grid's 8 plus crossings and further attributes.

    all, 3 tiers, 4 regions, 6 industries, 12 tier x region, 18 tier x industry, 4 acquisition
    channels and 16 region x channel: each account is in 8 of them (3 in the grid).
    """
    chosen = [
        *grid_segments(data),
        *_values(data, "industry"),
        *_values(data, "tier", "region"),
        *_values(data, "tier", "industry"),
        *_values(data, "acquisition_channel"),
        *_values(data, "region", "acquisition_channel"),
    ]
    return list(dict.fromkeys(chosen))


# -- records to frames (outside the timed region) -----------------------------------------------


def _cents(amount: Decimal) -> int:
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals")
    return int(cents)


def columns(data: AdvocacyData) -> dict[str, dict[str, list[Any]]]:
    """The columns the frames need, per family, as plain lists."""
    accounts, surveys, referrals, contracts = data.accounts, data.surveys, data.referrals, data.contracts
    return {
        "accounts": {
            "account_id": [a.id for a in accounts],
            "customer_since": [a.customer_since for a in accounts],
            "churned_at": [a.churned_at for a in accounts],
            "tier": [a.tier for a in accounts],
            "region": [a.region for a in accounts],
            "industry": [a.industry for a in accounts],
            "acquisition_channel": [a.acquisition_channel for a in accounts],
        },
        "surveys": {
            "account_id": [r.account_id for r in surveys],
            "respondent_id": [r.respondent_id for r in surveys],
            "kind": [r.kind.value for r in surveys],
            "score": [r.score for r in surveys],
            "responded_at": [r.responded_at for r in surveys],
        },
        "referrals": {
            "id": [r.id for r in referrals],
            "account_id": [r.account_id for r in referrals],
            "invited_at": [r.invited_at for r in referrals],
            "converted_at": [r.converted_at for r in referrals],
            "converted_account_id": [r.converted_account_id for r in referrals],
        },
        "contracts": {
            "account_id": [c.account_id for c in contracts],
            "start": [c.start for c in contracts],
            "arr_cents": [_cents(c.arr) for c in contracts],
            "currency": [c.currency for c in contracts],
        },
    }


INSTANTS = ("customer_since", "churned_at", "responded_at", "invited_at", "converted_at", "start")


@dataclass
class Frames:
    """One family per frame, of one library (Polars or pandas)."""

    accounts: Any
    surveys: Any
    referrals: Any
    contracts: Any
    as_of: datetime


def polars_frames(cols: dict[str, dict[str, list[Any]]], as_of: datetime) -> Frames:
    import polars as pl

    def frame(family: dict[str, list[Any]]) -> Any:
        return pl.DataFrame(
            {
                name: pl.Series(name, values, dtype=pl.Datetime("us", "UTC")) if name in INSTANTS else values
                for name, values in family.items()
            }
        )

    return Frames(**{name: frame(family) for name, family in cols.items()}, as_of=as_of)


def pandas_frames(cols: dict[str, dict[str, list[Any]]], as_of: datetime) -> Frames:
    import pandas as pd

    def frame(family: dict[str, list[Any]]) -> Any:
        return pd.DataFrame(
            {
                name: pd.to_datetime(values, utc=True) if name in INSTANTS else values
                for name, values in family.items()
            }
        )

    return Frames(**{name: frame(family) for name, family in cols.items()}, as_of=as_of)


def _fx_multipliers() -> dict[str, int]:
    """Per currency, what turns cents into 10**MONEY_EXPONENT units of the basis currency."""
    out = {}
    for currency in ("USD", *dict(BASIS.fx_rates)):
        rate = BASIS.rate(currency)
        assert rate is not None
        scaled = rate * 10 ** (-MONEY_EXPONENT - 2)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"the rate {rate} needs more places than the frames carry")
        out[currency] = int(scaled)
    return out


def _money(units: int) -> Decimal:
    return Decimal(units).scaleb(MONEY_EXPONENT)


def _fill(
    metric: str, windows: int, segments: int, found: dict[tuple[int, int], tuple[Any, Any, Any]]
) -> Cells:
    empty: tuple[Any, Any, Any] = (
        (Decimal(0), None, None) if metric == "revenue_from_referrals" else (None, 0, 0)
    )
    return {(metric, w, s): found.get((w, s), empty) for w in range(windows) for s in range(segments)}


# -- Polars -------------------------------------------------------------------------------------


class PolarsGrid:
    """The five metrics over a grid, by hand in Polars (eager API)."""

    def __init__(self, frames: Frames, windows: Sequence[GridWindow], segments: Sequence[Segment]) -> None:
        import polars as pl

        self.pl = pl
        self.f = frames
        self.n_windows, self.n_segments = len(windows), len(segments)
        self.months = pl.DataFrame(
            {"key": [g.key for g in windows if g.grain == "month"],
             "w": [w for w, g in enumerate(windows) if g.grain == "month"]},
            schema={"key": pl.Int32, "w": pl.Int32},
        )  # fmt: skip
        self.quarters = pl.DataFrame(
            {"key": [g.key for g in windows if g.grain == "quarter"],
             "w": [w for w, g in enumerate(windows) if g.grain == "quarter"]},
            schema={"key": pl.Int32, "w": pl.Int32},
        )  # fmt: skip
        self.bounds = pl.DataFrame(
            {"w": list(range(len(windows))),
             "w_start": [g.window.start for g in windows], "w_end": [g.window.end for g in windows]},
            schema={"w": pl.Int32, "w_start": pl.Datetime("us", "UTC"), "w_end": pl.Datetime("us", "UTC")},
        )  # fmt: skip
        parts = []
        for s, segment in enumerate(segments):
            mask = pl.lit(True)
            for name, allowed in segment.criteria:
                mask = mask & pl.col(name).is_in(list(allowed))
            parts.append(
                frames.accounts.filter(mask).select("account_id", pl.lit(s, dtype=pl.Int32).alias("seg"))
            )
        self.membership = pl.concat(parts)

    def stamp(self, frame: Any, column: str) -> Any:
        """One row per record and grid window containing ``frame[column]``."""
        pl = self.pl
        t = pl.col(column)
        year, month = t.dt.year().cast(pl.Int32), t.dt.month().cast(pl.Int32)
        keyed = frame.with_columns(_month=year * 12 + month - 1, _quarter=year * 4 + (month - 1) // 3)
        return pl.concat(
            [
                keyed.join(self.months, left_on="_month", right_on="key"),
                keyed.join(self.quarters, left_on="_quarter", right_on="key"),
            ]
        ).drop("_month", "_quarter")

    def cells(
        self, metric: str, frame: Any, value: str, numerator: str | None, denominator: str | None
    ) -> Cells:
        names = ["w", "seg", value] + [n for n in (numerator, denominator) if n is not None]
        found: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
        for w, s, v, *counts in frame.select(names).iter_rows():
            found[(w, s)] = (_money(v), None, None) if numerator is None else (v, *counts)
        return _fill(metric, self.n_windows, self.n_segments, found)

    def referred(self) -> Any:
        pl = self.pl
        channel = self.f.accounts.filter(pl.col("acquisition_channel") == "referral").get_column("account_id")
        named = self.f.referrals.get_column("converted_account_id").drop_nulls()
        return pl.concat([channel, named]).unique()

    def net_promoter_score(self) -> Cells:
        pl = self.pl
        answers = self.f.surveys.filter(pl.col("kind") == "nps").select(
            "account_id", "respondent_id", "score", "responded_at"
        )
        latest = (
            self.stamp(answers, "responded_at")
            .sort("responded_at", "score")
            .group_by("w", "account_id", "respondent_id")
            .agg(pl.col("score").last())
        )
        grouped = (
            latest.join(self.membership, on="account_id")
            .group_by("w", "seg")
            .agg(
                p=(pl.col("score") >= 9).sum().cast(pl.Int64),
                d=(pl.col("score") <= 6).sum().cast(pl.Int64),
                n=pl.len().cast(pl.Int64),
            )
            .with_columns(net=pl.col("p") - pl.col("d"))
            .with_columns(value=100.0 * pl.col("net") / pl.col("n"))
        )
        return self.cells("net_promoter_score", grouped, "value", "net", "n")

    def client_referral_rate(self) -> Cells:
        pl = self.pl
        accounts = self.f.accounts.select(
            "account_id",
            "customer_since",
            pl.col("account_id").is_in(self.referred().implode()).alias("referred"),
        )
        grouped = (
            self.stamp(accounts, "customer_since")
            .join(self.membership, on="account_id")
            .group_by("w", "seg")
            .agg(new=pl.len().cast(pl.Int64), hits=pl.col("referred").sum().cast(pl.Int64))
            .with_columns(value=pl.col("hits") / pl.col("new"))
        )
        return self.cells("client_referral_rate", grouped, "value", "hits", "new")

    def referral_conversion_rate(self) -> Cells:
        # Matured: invited_at + horizon <= as_of. Converted: matured, converted within the horizon,
        # and the first touch (earliest invitation, then lowest id) of the account it names.
        pl = self.pl
        firsts = (
            self.f.referrals.filter(pl.col("converted_account_id").is_not_null())
            .sort("invited_at", "id")
            .group_by("converted_account_id")
            .agg(pl.col("id").first())
            .get_column("id")
        )
        due = pl.col("invited_at") + HORIZON
        first = pl.col("converted_at").is_not_null() & (
            pl.col("converted_account_id").is_null() | pl.col("id").is_in(firsts.implode())
        )
        ripe = due <= self.f.as_of
        in_time = (first & (pl.col("converted_at") <= due) & ripe).fill_null(False)
        referrals = self.f.referrals.select(
            "account_id",
            "invited_at",
            in_time.alias("in_time"),
            ripe.alias("ripe"),
        )
        grouped = (
            self.stamp(referrals, "invited_at")
            .join(self.membership, on="account_id")
            .group_by("w", "seg")
            .agg(
                converted=pl.col("in_time").sum().cast(pl.Int64),
                matured=pl.col("ripe").sum().cast(pl.Int64),
            )
            .with_columns(
                value=pl.when(pl.col("matured") > 0)
                .then(pl.col("converted") / pl.col("matured"))
                .otherwise(None)
            )
        )
        return self.cells("referral_conversion_rate", grouped, "value", "converted", "matured")

    def customer_retention_rate(self) -> Cells:
        pl = self.pl
        churn = pl.col("churned_at")
        at_start = (pl.col("customer_since") < pl.col("w_start")) & (
            churn.is_null() | (churn >= pl.col("w_start"))
        )
        grouped = (
            self.f.accounts.select("account_id", "customer_since", "churned_at")
            .join(self.bounds, how="cross")
            .filter(at_start)
            .select("account_id", "w", (churn.is_null() | (churn >= pl.col("w_end"))).alias("stays"))
            .join(self.membership, on="account_id")
            .group_by("w", "seg")
            .agg(start=pl.len().cast(pl.Int64), retained=pl.col("stays").sum().cast(pl.Int64))
            .with_columns(value=pl.col("retained") / pl.col("start"))
        )
        return self.cells("customer_retention_rate", grouped, "value", "retained", "start")

    def revenue_from_referrals(self) -> Cells:
        pl = self.pl
        contracts = self.f.contracts.filter(pl.col("account_id").is_in(self.referred().implode())).select(
            "account_id",
            "start",
            (
                pl.col("arr_cents")
                * pl.col("currency").replace_strict(_fx_multipliers(), return_dtype=pl.Int64)
            ).alias("units"),
        )
        grouped = (
            self.stamp(contracts, "start")
            .join(self.membership, on="account_id")
            .group_by("w", "seg")
            .agg(value=pl.col("units").sum())
        )
        return self.cells("revenue_from_referrals", grouped, "value", None, None)


# -- pandas -------------------------------------------------------------------------------------


class PandasGrid:
    """The five metrics over a grid, by hand in pandas."""

    def __init__(self, frames: Frames, windows: Sequence[GridWindow], segments: Sequence[Segment]) -> None:
        import pandas as pd

        self.pd = pd
        self.f = frames
        self.n_windows, self.n_segments = len(windows), len(segments)
        self.months = pd.DataFrame(
            {"key": [g.key for g in windows if g.grain == "month"],
             "w": [w for w, g in enumerate(windows) if g.grain == "month"]}
        )  # fmt: skip
        self.quarters = pd.DataFrame(
            {"key": [g.key for g in windows if g.grain == "quarter"],
             "w": [w for w, g in enumerate(windows) if g.grain == "quarter"]}
        )  # fmt: skip
        self.bounds = pd.DataFrame(
            {"w": list(range(len(windows))),
             "w_start": pd.to_datetime([g.window.start for g in windows], utc=True),
             "w_end": pd.to_datetime([g.window.end for g in windows], utc=True)}
        )  # fmt: skip
        accounts = frames.accounts
        parts = []
        for s, segment in enumerate(segments):
            mask = pd.Series(True, index=accounts.index)
            for name, allowed in segment.criteria:
                mask &= accounts[name].isin(list(allowed))
            parts.append(pd.DataFrame({"account_id": accounts.loc[mask, "account_id"], "seg": s}))
        self.membership = pd.concat(parts, ignore_index=True)

    def stamp(self, frame: Any, column: str) -> Any:
        """One row per record and grid window containing ``frame[column]``."""
        t = frame[column]
        year, month = t.dt.year.astype("int64"), t.dt.month.astype("int64")
        keyed = frame.assign(_month=year * 12 + month - 1, _quarter=year * 4 + (month - 1) // 3)
        by_month = keyed.merge(self.months, left_on="_month", right_on="key")
        by_quarter = keyed.merge(self.quarters, left_on="_quarter", right_on="key")
        return self.pd.concat([by_month, by_quarter], ignore_index=True).drop(
            columns=["_month", "_quarter", "key"]
        )

    def cells(
        self, metric: str, frame: Any, value: str, numerator: str | None, denominator: str | None
    ) -> Cells:
        table = frame.reset_index()
        ws, ss, vs = table["w"].tolist(), table["seg"].tolist(), table[value].tolist()
        found: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
        if metric == "revenue_from_referrals":
            found = {(w, s): (_money(v), None, None) for w, s, v in zip(ws, ss, vs, strict=True)}
        else:
            assert numerator is not None and denominator is not None
            nums, dens = table[numerator].tolist(), table[denominator].tolist()
            for w, s, v, k, n in zip(ws, ss, vs, nums, dens, strict=True):
                found[(w, s)] = (None if n == 0 else v, k, n)
        return _fill(metric, self.n_windows, self.n_segments, found)

    def referred(self) -> Any:
        accounts, referrals = self.f.accounts, self.f.referrals
        channel = accounts.loc[accounts["acquisition_channel"] == "referral", "account_id"]
        named = referrals["converted_account_id"].dropna()
        return self.pd.concat([channel, named]).unique()

    def net_promoter_score(self) -> Cells:
        surveys = self.f.surveys
        answers = surveys.loc[
            surveys["kind"] == "nps", ["account_id", "respondent_id", "score", "responded_at"]
        ]
        latest = (
            self.stamp(answers, "responded_at")
            .sort_values(["responded_at", "score"], kind="stable")
            .drop_duplicates(["w", "account_id", "respondent_id"], keep="last")
        )
        joined = latest.merge(self.membership, on="account_id")
        joined = joined.assign(p=joined["score"] >= 9, d=joined["score"] <= 6)
        grouped = joined.groupby(["w", "seg"]).agg(p=("p", "sum"), d=("d", "sum"), n=("score", "size"))
        grouped["net"] = grouped["p"] - grouped["d"]
        grouped["value"] = 100.0 * grouped["net"] / grouped["n"]
        return self.cells("net_promoter_score", grouped, "value", "net", "n")

    def client_referral_rate(self) -> Cells:
        accounts = self.f.accounts[["account_id", "customer_since"]]
        accounts = accounts.assign(referred=accounts["account_id"].isin(self.referred()))
        joined = self.stamp(accounts, "customer_since").merge(self.membership, on="account_id")
        grouped = joined.groupby(["w", "seg"]).agg(new=("referred", "size"), hits=("referred", "sum"))
        grouped["value"] = grouped["hits"] / grouped["new"]
        return self.cells("client_referral_rate", grouped, "value", "hits", "new")

    def referral_conversion_rate(self) -> Cells:
        referrals = self.f.referrals
        named = referrals[referrals["converted_account_id"].notna()].sort_values(["invited_at", "id"])
        firsts = set(named.groupby("converted_account_id")["id"].first())
        due = referrals["invited_at"] + HORIZON
        first = referrals["converted_at"].notna() & (
            referrals["converted_account_id"].isna() | referrals["id"].isin(firsts)
        )
        ripe = due <= self.pd.Timestamp(self.f.as_of)
        in_time = first & (referrals["converted_at"] <= due) & ripe
        frame = self.pd.DataFrame(
            {"account_id": referrals["account_id"], "invited_at": referrals["invited_at"],
             "in_time": in_time, "ripe": ripe}
        )  # fmt: skip
        joined = self.stamp(frame, "invited_at").merge(self.membership, on="account_id")
        grouped = joined.groupby(["w", "seg"]).agg(converted=("in_time", "sum"), matured=("ripe", "sum"))
        grouped["value"] = grouped["converted"] / grouped["matured"].where(grouped["matured"] > 0)
        return self.cells("referral_conversion_rate", grouped, "value", "converted", "matured")

    def customer_retention_rate(self) -> Cells:
        pairs = self.f.accounts[["account_id", "customer_since", "churned_at"]].merge(
            self.bounds, how="cross"
        )
        churn = pairs["churned_at"]
        at_start = (pairs["customer_since"] < pairs["w_start"]) & (churn.isna() | (churn >= pairs["w_start"]))
        starters = pairs.loc[at_start]
        starters = self.pd.DataFrame(
            {"account_id": starters["account_id"], "w": starters["w"],
             "stays": starters["churned_at"].isna() | (starters["churned_at"] >= starters["w_end"])}
        )  # fmt: skip
        joined = starters.merge(self.membership, on="account_id")
        grouped = joined.groupby(["w", "seg"]).agg(start=("stays", "size"), retained=("stays", "sum"))
        grouped["value"] = grouped["retained"] / grouped["start"]
        return self.cells("customer_retention_rate", grouped, "value", "retained", "start")

    def revenue_from_referrals(self) -> Cells:
        contracts = self.f.contracts
        chosen = contracts.loc[contracts["account_id"].isin(self.referred())]
        units = chosen["arr_cents"].astype("int64") * chosen["currency"].map(_fx_multipliers()).astype(
            "int64"
        )
        frame = self.pd.DataFrame(
            {"account_id": chosen["account_id"], "start": chosen["start"], "units": units}
        )
        joined = self.stamp(frame, "start").merge(self.membership, on="account_id")
        grouped = joined.groupby(["w", "seg"]).agg(value=("units", "sum"))
        return self.cells("revenue_from_referrals", grouped, "value", None, None)


Engine = Callable[[Frames, Sequence[GridWindow], Sequence[Segment], Sequence[str]], Cells]


def run_frames(
    kind: type[PolarsGrid] | type[PandasGrid],
    frames: Frames,
    windows: Sequence[GridWindow],
    segments: Sequence[Segment],
    metrics: Sequence[str] = METRICS,
) -> Cells:
    """Every cell of ``metrics`` over the grid, the segment memberships included."""
    grid = kind(frames, windows, segments)
    out: Cells = {}
    for metric in metrics:
        out.update(getattr(grid, metric)())
    return out


# -- the library --------------------------------------------------------------------------------


def run_library(
    data: AdvocacyData,
    windows: Sequence[GridWindow],
    segments: Sequence[Segment],
    metrics: Sequence[str] = METRICS,
) -> advocacy_kpis.Scorecard:
    return advocacy_kpis.scorecard(
        data, metrics=list(metrics), windows=[g.window for g in windows], segments=list(segments), basis=BASIS
    )


def library_cells(
    card: advocacy_kpis.Scorecard, windows: Sequence[GridWindow], segments: Sequence[Segment]
) -> Cells:
    out: Cells = {}
    for metric in card.metrics:
        for w, g in enumerate(windows):
            for s, segment in enumerate(segments):
                r = card.get(metric, g.window, segment)
                out[(metric, w, s)] = (r.value, r.numerator, r.denominator)
    return out


def _same(expected: Any, got: Any) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, Decimal):
        return isinstance(got, Decimal) and expected == got
    if isinstance(expected, float) or isinstance(got, float):
        return math.isclose(float(expected), float(got), rel_tol=REL_TOL)
    return isinstance(got, int) and not isinstance(got, bool) and expected == got


def compare(expected: Cells, got: Cells) -> list[str]:
    """The cells where ``got`` differs from the library's, described."""
    problems = []
    for key, triple in expected.items():
        other = got.get(key)
        if other is None or not all(_same(a, b) for a, b in zip(triple, other, strict=True)):
            problems.append(f"{key}: library {triple}, hand-written {other}")
    return problems


# -- timing -------------------------------------------------------------------------------------


@dataclass
class Timed:
    cpu: float
    wall: float
    result: Any


def best_of(repeat: int, run: Callable[[], Any]) -> Timed:
    """The lowest CPU time (and wall time) of ``repeat`` runs, with the last run's result."""
    best_cpu = best_wall = math.inf
    result = None
    for _ in range(repeat):
        gc.collect()
        cpu, wall = time.process_time(), time.perf_counter()
        result = run()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return Timed(best_cpu, best_wall, result)


def records_read(data: AdvocacyData, metrics: Sequence[str] = METRICS) -> int:
    return sum(len(getattr(data, READS[m])) for m in metrics)


def rebuild(data: AdvocacyData) -> AdvocacyData:
    """A new data set from the same records, with none of its indexes built."""
    return AdvocacyData.from_records(**data.as_collections(), as_of=data.as_of, calendar=data.calendar)


def first_calls(
    generated: AdvocacyData, windows: Sequence[GridWindow], segments: Sequence[Segment], repeat: int
) -> Timed:
    """The grid as the first call on a data set, its indexes built inside the timing: the best of
    ``repeat`` calls, each on a data set freshly rebuilt (outside the timing) from the records."""
    best: Timed | None = None
    for _ in range(repeat):
        fresh = rebuild(generated)
        timed = best_of(1, lambda fresh=fresh: run_library(fresh, windows, segments))
        if best is None or timed.cpu < best.cpu:
            best = timed
    assert best is not None
    return best


def build_with_indexes(data: AdvocacyData) -> AdvocacyData:
    """`rebuild` plus every index the five metrics read."""
    fresh = rebuild(data)
    for kind in (SurveyResponse, Referral, Contract):
        fresh.timeline(kind)
    fresh.referred_accounts()
    return fresh


_SHARED = (type(None), bool, int, enum.Enum, tzinfo)


def record_bytes(records: Sequence[Any], sample_size: int = 2000) -> float:
    """Mean ``sys.getsizeof`` of a record plus the field values it holds (sampled).

    Values every record shares (None, booleans, small integers, enum members, time zones) are
    not counted; a string or instant that several records of the sample share counts once.
    """
    chosen = records[:: max(1, len(records) // sample_size)]
    if not chosen:
        return 0.0
    seen: set[int] = set()
    size = 0
    for record in chosen:
        size += sys.getsizeof(record)
        for field in attrs.fields(type(record)):
            value = getattr(record, field.name)
            if isinstance(value, _SHARED) or id(value) in seen:
                continue
            seen.add(id(value))
            size += sys.getsizeof(value)
    return size / len(chosen)


def _goal(met: bool) -> str:
    return "met" if met else "NOT MET"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.1f} ms"


@dataclass
class SizeRun:
    """The grid at one size: the library and both hand-written versions."""

    n: int
    data: AdvocacyData
    records: int
    library: Timed
    polars: Timed
    pandas: Timed | None
    mismatches: dict[str, list[str]]


def grid_at_size(
    data: AdvocacyData, windows: Sequence[GridWindow], repeat: int, *, with_pandas: bool
) -> tuple[SizeRun, Frames, Frames | None]:
    segments = grid_segments(data)
    cols = columns(data)
    pl_frames = polars_frames(cols, data.as_of)
    library = best_of(repeat, lambda: run_library(data, windows, segments))
    expected = library_cells(library.result, windows, segments)
    polars = best_of(repeat, lambda: run_frames(PolarsGrid, pl_frames, windows, segments))
    mismatches = {"polars": compare(expected, polars.result)}
    pandas = pd_frames = None
    if with_pandas:
        pd_frames = pandas_frames(cols, data.as_of)
        pandas = best_of(repeat, lambda: run_frames(PandasGrid, pd_frames, windows, segments))
        mismatches["pandas"] = compare(expected, pandas.result)
    run = SizeRun(len(data.accounts), data, records_read(data), library, polars, pandas, mismatches)
    return run, pl_frames, pd_frames


def _report_mismatches(mismatches: dict[str, list[str]], cells: int) -> None:
    for name, problems in mismatches.items():
        print(f"  check {name:<7} {cells} cells compared, mismatches: {len(problems)}")
        for line in problems[:5]:
            print(f"    {line}")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--accounts", type=int, default=100_000, help="accounts of the main run (default 100000)"
    )
    parser.add_argument(
        "--small", type=int, default=10_000, help="accounts of the size-scaling run (0: skip)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing; the best is kept (default 3)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the library's grid")
    args = parser.parse_args(argv)
    try:
        import pandas  # noqa: F401
        import polars  # noqa: F401
    except ImportError as error:
        raise SystemExit(
            f"this benchmark needs the bench extra (pip install -e '.[bench]'): {error}"
        ) from None
    repeat = max(1, args.repeat)
    started = time.process_time()
    windows = grid_windows()

    cpu = time.process_time()
    generated = sample.generate(args.accounts, seed=SEED)
    generate_cpu = time.process_time() - cpu
    sizes = {name: len(records) for name, records in generated.as_collections().items()}
    total = sum(sizes.values())
    print(f"scorecard benchmark: {args.accounts} accounts (seed {SEED}), best of {repeat}, CPU time")
    print(f"  sample.generate: {generate_cpu:.1f} s CPU for {total} records ({sizes['accounts']} accounts, "
          f"{sizes['surveys']} surveys, {sizes['referrals']} referrals, {sizes['contracts']} contracts)")  # fmt: skip

    # 4. Building the data set and its indexes.
    build = best_of(repeat, lambda: build_with_indexes(generated))
    bare = best_of(repeat, lambda: rebuild(generated))
    gc.collect()
    tracemalloc.start()
    held = build_with_indexes(generated)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del held

    data = rebuild(generated)
    segments = grid_segments(data)
    cold = first_calls(generated, windows, segments, repeat)

    # 1. The grid at full size.
    main_run, pl_frames, pd_frames = grid_at_size(data, windows, repeat, with_pandas=True)
    cells = len(METRICS) * len(windows) * len(segments)
    records = main_run.records
    lib_us = main_run.library.cpu / records * 1e6
    assert main_run.pandas is not None
    versus_polars = main_run.library.cpu / main_run.polars.cpu
    versus_pandas = main_run.library.cpu / main_run.pandas.cpu
    print(
        f"\n1. grid: {len(windows)} windows x {len(segments)} segments x {len(METRICS)} metrics = {cells} cells"
    )
    print("  records read: per metric, its whole family (NPS: surveys of every kind; client referral")
    print("  and retention: accounts; conversion: referrals; revenue: contracts), summed over the five")
    print(f"  metrics = {records}; 'per record' divides the grid's CPU time by that sum")
    print(f"  library (warm) {_ms(main_run.library.cpu)}  {lib_us:6.3f} us/record/metric   "
          f"goal <= {GOAL_US_PER_RECORD:g}: {_goal(lib_us <= GOAL_US_PER_RECORD)}")  # fmt: skip
    cold_us = cold.cpu / records * 1e6
    versus_polars_cold = cold.cpu / main_run.polars.cpu
    print(f"  library (cold) {_ms(cold.cpu)}  {cold_us:6.3f} us/record/metric   "
          f"goal <= {GOAL_US_PER_RECORD:g}: {_goal(cold_us <= GOAL_US_PER_RECORD)}")  # fmt: skip
    print(f"                 the first call on a fresh data set, building its indexes (best of {repeat} "
          f"fresh data sets); cold/polars {versus_polars_cold:5.2f}   "
          f"goal <= {GOAL_VERSUS_POLARS:g}: {_goal(versus_polars_cold <= GOAL_VERSUS_POLARS)}")  # fmt: skip
    print(f"  polars         {_ms(main_run.polars.cpu)}  library/polars {versus_polars:5.2f}   "
          f"goal <= {GOAL_VERSUS_POLARS:g}: {_goal(versus_polars <= GOAL_VERSUS_POLARS)}")  # fmt: skip
    print(f"  pandas         {_ms(main_run.pandas.cpu)}  library/pandas {versus_pandas:5.2f}   "
          f"goal < 1: {_goal(versus_pandas < 1)}")  # fmt: skip
    print(f"  (wall: library {_ms(main_run.library.wall)}, polars {_ms(main_run.polars.wall)}, "
          f"pandas {_ms(main_run.pandas.wall)})")  # fmt: skip
    _report_mismatches(main_run.mismatches, cells)

    print("\n  per metric (each run alone, so each pays for its own grid and segment memberships):")
    print(
        f"  {'metric':<26} {'records':>8} {'library':>12} {'us/rec':>7} {'polars':>12} {'pandas':>12} {'lib/pl':>6}"
    )
    assert pd_frames is not None
    for metric in METRICS:
        lib = best_of(repeat, lambda m=metric: run_library(data, windows, segments, [m]))
        pol = best_of(repeat, lambda m=metric: run_frames(PolarsGrid, pl_frames, windows, segments, [m]))
        pan = best_of(repeat, lambda m=metric: run_frames(PandasGrid, pd_frames, windows, segments, [m]))
        n = records_read(data, [metric])
        print(f"  {metric:<26} {n:>8} {_ms(lib.cpu)} {lib.cpu / n * 1e6:7.3f} {_ms(pol.cpu)} {_ms(pan.cpu)} "
              f"{lib.cpu / pol.cpu:6.2f}")  # fmt: skip

    # 2. Scaling in segments.
    wide = wide_segments(data)
    lib_wide = best_of(repeat, lambda: run_library(data, windows, wide))
    pol_wide = best_of(repeat, lambda: run_frames(PolarsGrid, pl_frames, windows, wide))
    wide_problems = compare(library_cells(lib_wide.result, windows, wide), pol_wide.result)
    lib_growth = lib_wide.cpu / main_run.library.cpu
    pol_growth = pol_wide.cpu / main_run.polars.cpu
    print(f"\n2. segments: {len(segments)} -> {len(wide)} (each account in 3 -> 8 segments), same windows")
    print(f"  library {_ms(main_run.library.cpu)} -> {_ms(lib_wide.cpu)}  growth {lib_growth:5.2f}x")
    print(f"  polars  {_ms(main_run.polars.cpu)} -> {_ms(pol_wide.cpu)}  growth {pol_growth:5.2f}x")
    print(f"  library growth / polars growth {lib_growth / pol_growth:5.2f}   "
          f"goal <= {GOAL_SEGMENT_GROWTH:g}: {_goal(lib_growth / pol_growth <= GOAL_SEGMENT_GROWTH)}")  # fmt: skip
    _report_mismatches({"polars": wide_problems}, len(METRICS) * len(windows) * len(wide))

    # 3. Scaling in size.
    if args.small:
        small_data = rebuild(sample.generate(args.small, seed=SEED))
        small_run, _, _ = grid_at_size(small_data, windows, repeat, with_pandas=False)
        small_us = small_run.library.cpu / small_run.records * 1e6
        drift = lib_us / small_us - 1
        pol_small = small_run.polars.cpu / small_run.records * 1e6
        pol_big = main_run.polars.cpu / records * 1e6
        print(f"\n3. size: {args.small} -> {args.accounts} accounts, the grid")
        print(f"  library {small_us:6.3f} -> {lib_us:6.3f} us/record/metric  change {drift:+.0%}   "
              f"goal at most +{GOAL_SIZE_DRIFT:.0%}: {_goal(drift <= GOAL_SIZE_DRIFT)}")  # fmt: skip
        print(
            f"  polars  {pol_small:6.3f} -> {pol_big:6.3f} us/record/metric  change {pol_big / pol_small - 1:+.0%}"
        )
        _report_mismatches(small_run.mismatches, cells)

    # 4. Building.
    build_us = build.cpu / total * 1e6
    print(f"\n4. building: AdvocacyData.from_records over all {total} records, then the indexes the five")
    print("  metrics read (time-ordered surveys, referrals and contracts; the referred-account set)")
    print(f"  from_records {_ms(bare.cpu)}  {bare.cpu / total * 1e6:5.2f} us/record")
    print(f"  + indexes    {_ms(build.cpu)}  {build_us:5.2f} us/record   "
          f"goal <= {GOAL_BUILD_US_PER_RECORD:g}: {_goal(build_us <= GOAL_BUILD_US_PER_RECORD)}")  # fmt: skip
    print(f"  first scorecard call minus a warm one: {_ms(cold.cpu - main_run.library.cpu)}")
    print("  memory (tracemalloc around from_records + indexes; the records themselves existed before):")
    print(f"  held afterwards {retained / total:6.1f} bytes/record, peak {peak / total:6.1f} bytes/record")
    sized = {
        name: record_bytes(getattr(data, name)) for name in ("accounts", "surveys", "referrals", "contracts")
    }
    print("  the records themselves (sys.getsizeof of a record and its own field values, sampled):")
    print("  " + ", ".join(f"{name} {size:.0f}" for name, size in sized.items()) + " bytes/record")

    print(f"\nthe benchmark took {time.process_time() - started:.0f} s CPU")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run_library(data, windows, segments)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print(f"\nprofile of the library's grid at {args.accounts} accounts (top 15 by tottime):")
        print(out.getvalue().strip())


if __name__ == "__main__":
    main()
