"""The catalogue: one `MetricSpec` per metric, and the registry that maps ids to functions.

Every metric function is registered with the `metric` decorator, which checks that the
function's name is the spec's id. The specs are the single source of the definitions shown by
``advocacy-kpis explain``, the generated docs pages and ``catalog.to_json()``.

Wherever a metric id is accepted, a common short name works too (`ALIASES`: ``nps``, ``csat``,
``nrr``, ``grr``, ``churn``, ``retention``, ...), and an unknown id is answered with the closest
known ones.
"""

from __future__ import annotations

import difflib
import enum
import json
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs

from advocacy_kpis.errors import ParameterError, UnknownMetricError, shorten
from advocacy_kpis.result import Direction, MetricResult, Unit

__all__ = [
    "ALIASES",
    "CATALOGUE_IDS",
    "BasisUse",
    "Family",
    "MetricKind",
    "MetricSpec",
    "Parameter",
    "Pitfall",
    "SegmentUse",
    "SignalType",
    "Threshold",
    "all",
    "declaration",
    "function",
    "get",
    "metric",
    "resolve",
    "to_json",
]

CATALOGUE_IDS: Final[tuple[str, ...]] = (
    "net_promoter_score", "customer_satisfaction_score", "customer_loyalty_index", "customer_sentiment",
    "brand_sentiment", "customer_feedback_retention_score", "referral_program_participation_rate",
    "referral_readiness_score", "referral_ready_account_rate", "advocate_re_engagement_rate", "social_shares",
    "share_rate_among_icps", "referral_discussion_initiation_rate", "personalized_referral_outreach_rate",
    "warm_introduction_offer_rate", "referral_intent_in_qbrs", "time_to_first_referral", "time_to_advocacy",
    "client_referral_rate", "referral_conversion_rate", "new_customers_from_referrals", "revenue_from_referrals",
    "referral_account_revenue_contribution", "referral_pipeline_contribution_rate", "referral_campaign_roi",
    "referral_retention_rate", "referral_invitation_rate", "customer_retention_rate", "customer_churn_rate",
    "contract_renewal_rate", "expansion_revenue", "expansion_revenue_growth_rate", "activation_to_expansion_rate",
    "gross_revenue_retention", "net_revenue_retention", "customer_advocacy_rate", "advocate_pool_size",
    "advocate_activation_rate", "reference_request_fill_rate", "reference_time_to_fill", "review_velocity",
    "advocate_influenced_pipeline", "advocate_influenced_revenue", "influencer_and_advocate_mentions",
    "community_growth_rate", "tap_policy_compliance",
)  # fmt: skip
"""Every metric id of the catalogue, in catalogue order (number 1 first), registered yet or not."""

ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "nps": "net_promoter_score",
        "csat": "customer_satisfaction_score",
        "nrr": "net_revenue_retention",
        "grr": "gross_revenue_retention",
        "churn": "customer_churn_rate",
        "churn_rate": "customer_churn_rate",
        "retention": "customer_retention_rate",
        "retention_rate": "customer_retention_rate",
        "renewal_rate": "contract_renewal_rate",
        "conversion_rate": "referral_conversion_rate",
        "advocacy_rate": "customer_advocacy_rate",
        "roi": "referral_campaign_roi",
    }
)
"""Common short names and the catalogue id each stands for (whether registered yet or not)."""


class Family(enum.Enum):
    """The five families of the catalogue, in catalogue order."""

    SENTIMENT = "sentiment"
    ENGAGEMENT = "engagement"
    REFERRALS = "referrals"
    RETENTION = "retention"
    PROGRAM = "program"

    @property
    def title(self) -> str:
        """The family's heading."""
        return _FAMILY_TITLES[self]


_FAMILY_TITLES = {
    Family.SENTIMENT: "Customer sentiment and loyalty",
    Family.ENGAGEMENT: "Advocate identification and engagement",
    Family.REFERRALS: "Referral programme impact",
    Family.RETENTION: "Retention and expansion",
    Family.PROGRAM: "Advocacy programme health and reach",
}


class MetricKind(enum.Enum):
    """The computational shape of a metric."""

    PROPORTION = "proportion"
    """Units meeting a condition over the units in a population."""
    RATIO = "ratio"
    """One quantity over another, not bounded by 1."""
    COUNT = "count"
    """A number of events."""
    SUM = "sum"
    """A sum of money."""
    SCORE = "score"
    """A score aggregated over respondents or accounts."""
    SURVIVAL = "survival"
    """A time to an event, estimated with censoring."""


class SegmentUse(enum.Enum):
    """How a segment applies to a metric."""

    ACCOUNTS = "accounts"
    """Segments match the account each record belongs to."""
    RECORD_ATTRIBUTES = "record_attributes"
    """Segments match the records' own attributes (the records have no account)."""
    NONE = "none"
    """The metric cannot be segmented."""


class BasisUse(enum.Enum):
    """How a revenue basis applies to a metric."""

    NONE = "none"
    OPTIONAL = "optional"
    """Optional: given, the rate is revenue-weighted."""
    REQUIRED = "required"
    CURRENCY = "currency"
    """Required for its currency only (amounts are not contract values)."""


class SignalType(enum.Enum):
    """What kind of decision the metric informs."""

    GROWTH = "growth"
    RETENTION = "retention"
    EFFICIENCY = "efficiency"
    SENTIMENT = "sentiment"


@attrs.frozen
class Parameter:
    """A parameter of a metric: its default, what it means and how a value is checked.

    Attributes:
        name: the keyword the metric function takes.
        default: the value used when none is given.
        description: what it sets, in a phrase.
        check: ``(value, metric_id) -> checked value``, raising `ParameterError` on a bad value.
        label: how the default reads in the docs where its ``repr`` would not (a model, a policy).
    """

    name: str
    default: Any
    description: str
    check: Callable[[Any, str], Any] | None = attrs.field(default=None, eq=False, repr=False)
    label: str | None = None

    @property
    def shown(self) -> str:
        """The default as the docs and ``explain`` show it."""
        return self.label if self.label is not None else repr(self.default)

    def parse(self, text: str, function: str) -> Any:
        """The value a text stands for (a command-line flag, a settings file), checked.

        The text is read as the default's type: a whole number, a number or a name. A parameter
        whose default is an object (a model, a policy) is set from Python only.

        Raises:
            ParameterError: the text is not a value of the parameter.

        Examples:
            >>> Parameter("horizon_days", 90, "days to wait").parse("60", "a_metric")
            60
            >>> Parameter("confidence", 0.95, "confidence level").parse("0.9", "a_metric")
            0.9
        """
        raw = text.strip()
        value: Any
        if isinstance(self.default, bool):
            value = {"true": True, "false": False}.get(raw.lower(), raw)
        elif isinstance(self.default, int):
            value = int(raw) if re.fullmatch(r"[-+]?[0-9]{1,12}", raw) else raw
        elif isinstance(self.default, float):
            try:
                value = float(raw)
            except ValueError:
                value = raw
        elif isinstance(self.default, str):
            value = raw
        else:
            raise ParameterError(
                self.name, function, f"set from Python (it takes a {type(self.default).__name__})", text
            )
        if isinstance(value, str) and not isinstance(self.default, str):
            kind = {bool: "true or false", int: "a whole number", float: "a number"}[type(self.default)]
            raise ParameterError(self.name, function, kind, text)
        return self.check(value, function) if self.check is not None else value

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the default by its label where it has one)."""
        default = self.label if self.label is not None else self.default
        return {"name": self.name, "default": default, "description": self.description}


@attrs.frozen
class Threshold:
    """A level a source names as meaningful; results past it carry a warning."""

    value: float
    breached_when: str  # "below" or "above"
    meaning: str

    def breached(self, value: float) -> bool:
        """Whether ``value`` is past the threshold."""
        return value < self.value if self.breached_when == "below" else value > self.value


@attrs.frozen
class Pitfall:
    """A common way to get the metric wrong, and how the library guards against it."""

    mistake: str
    guard: str


_ID = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


@attrs.frozen
class MetricSpec:
    """Everything the catalogue says about one metric.

    Attributes:
        id: snake_case id; the metric function has this name.
        number: position in the catalogue (1-based).
        name: display name.
        family: catalogue family.
        kind: computational shape.
        definition: one paragraph in plain words.
        formula: the formula in text.
        formula_latex: the formula in LaTeX (for the docs).
        unit: unit of the value.
        direction: which way is good.
        population: who or what is counted.
        window_semantics: how the window selects the population.
        undefined_when: when the value is None.
        parameters: the metric's own parameters with defaults.
        segment: how segments apply.
        basis: how a revenue basis applies.
        signal: growth, retention, efficiency or sentiment.
        thresholds: levels a source names as meaningful.
        pitfalls: common mistakes and the library's guard against each.
        related: ids of related metrics.
        seed: the source document(s) the definition comes from.
        interpretation: where the sources are vague, how the library makes the definition
            precise (None where the definition is taken as given).
        version: definition version; results carry it.
    """

    id: str
    number: int
    name: str
    family: Family
    kind: MetricKind
    definition: str
    formula: str
    formula_latex: str
    unit: Unit
    direction: Direction
    population: str
    window_semantics: str
    undefined_when: str
    segment: SegmentUse
    basis: BasisUse
    signal: SignalType
    seed: str
    parameters: tuple[Parameter, ...] = attrs.field(default=(), converter=_tuple)
    thresholds: tuple[Threshold, ...] = attrs.field(default=(), converter=_tuple)
    pitfalls: tuple[Pitfall, ...] = attrs.field(default=(), converter=_tuple)
    related: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    interpretation: str | None = None
    version: int = 1

    def __attrs_post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise ParameterError("id", "MetricSpec", "a snake_case id", self.id)
        if self.unit is Unit.MONEY and self.basis not in (BasisUse.REQUIRED, BasisUse.CURRENCY):
            raise ParameterError(
                "basis", f"MetricSpec {self.id!r}", "required for a money metric", self.basis
            )
        if not self.pitfalls:
            raise ParameterError("pitfalls", f"MetricSpec {self.id!r}", "at least one pitfall", ())
        if self.id in self.related:
            raise ParameterError("related", f"MetricSpec {self.id!r}", "other metrics' ids", self.id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""

        def plain(value: Any) -> Any:
            if isinstance(value, enum.Enum):
                return value.value
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            if isinstance(value, Parameter):
                return value.to_dict()
            if attrs.has(type(value)):
                return {k: plain(v) for k, v in attrs.asdict(value, recurse=False).items()}
            return value

        return {k: plain(v) for k, v in attrs.asdict(self, recurse=False).items()}


MetricFunction = Callable[..., MetricResult]
F = TypeVar("F", bound=MetricFunction)


@attrs.frozen
class _Entry:
    spec: MetricSpec
    function: MetricFunction
    declaration: Any


_REGISTRY: dict[str, _Entry] = {}
"""The one registry of metrics: each id to its spec, its public function and its declaration."""


def metric(spec: MetricSpec, declaration: Any = None) -> Callable[[F], F]:
    """Register a metric function under ``spec``; the function must be named ``spec.id``.

    ``declaration`` is what computes it (an `advocacy_kpis.tally.Metric`), which
    `Metric.function` passes; `declaration` returns it.
    """

    def register(fn: F) -> F:
        if fn.__name__ != spec.id:
            raise ParameterError("spec", "catalog.metric", f"the spec of {fn.__name__!r}", spec.id)
        if spec.id in _REGISTRY and _REGISTRY[spec.id].function is not fn:
            raise ParameterError("spec", "catalog.metric", "an id not registered yet", spec.id)
        _REGISTRY[spec.id] = _Entry(spec, fn, declaration)
        return fn

    return register


def _normalised(name: str) -> str:
    return re.sub(r"[\s_-]+", "_", name.strip().lower())


# Past this length a name is no typo of an id, and comparing it with every id would be slow.
_LONGEST_NAME: Final = 100


def _closest(name: str) -> list[str]:
    if len(name) > _LONGEST_NAME:
        return []
    candidates = {metric_id: metric_id for metric_id in _REGISTRY}
    candidates.update(
        {alias: f"{alias} ({target})" for alias, target in ALIASES.items() if target in _REGISTRY}
    )
    return [candidates[c] for c in difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)]


def resolve(name: str) -> str:
    """The registered metric id that ``name`` stands for: an id, or a short name from `ALIASES`.

    Case, spaces and hyphens do not matter (``"NPS"``, ``"net-promoter-score"``).

    Raises:
        UnknownMetricError: no registered metric has that id or short name; the message names
            the closest ids, or says that the metric is in the catalogue but not implemented yet.
        ParameterError: ``name`` is not a string.

    Examples:
        >>> resolve("nps"), resolve("Net Promoter Score")
        ('net_promoter_score', 'net_promoter_score')
        >>> resolve("net_promoter_scor")
        Traceback (most recent call last):
        ...
        advocacy_kpis.errors.UnknownMetricError: No metric 'net_promoter_scor' in the catalogue. Closest: ...
    """
    if not isinstance(name, str):
        raise ParameterError("metric_id", "catalog.resolve", "a metric id such as 'net_promoter_score'", name)
    if name in _REGISTRY:
        return name
    key = _normalised(name)
    target = ALIASES.get(key, key)
    if target in _REGISTRY:
        return target
    if target in CATALOGUE_IDS:
        short = f" ({shorten(name)} stands for it)" if target != key else ""
        raise UnknownMetricError(
            f"{target!r}{short} is in the catalogue but not implemented yet: it cannot be computed or "
            "explained by this version."
        )
    closest = _closest(key)
    hint = (
        f"Closest: {', '.join(closest)}."
        if closest
        else "catalog.all() (or advocacy-kpis catalog) lists them."
    )
    raise UnknownMetricError(f"No metric {shorten(name)} in the catalogue. {hint}")


def _entry(metric_id: str) -> _Entry:
    return _REGISTRY[resolve(metric_id)]


def get(metric_id: str) -> MetricSpec:
    """The spec of the metric ``metric_id`` (an id or a short name such as ``"nps"``).

    Raises:
        UnknownMetricError: no registered metric has that id (see `resolve`).

    Examples:
        >>> get("net_promoter_score").name
        'Net Promoter Score'
        >>> get("csat").id
        'customer_satisfaction_score'
    """
    return _entry(metric_id).spec


def function(metric_id: str) -> MetricFunction:
    """The function that computes the metric ``metric_id`` (an id or a short name such as ``"churn"``).

    Raises:
        UnknownMetricError: no registered metric has that id (see `resolve`).
    """
    return _entry(metric_id).function


def declaration(metric_id: str) -> Any:
    """The declaration that computes the metric ``metric_id`` (an id or a short name).

    Raises:
        UnknownMetricError: no registered metric has that id (see `resolve`).
    """
    return _entry(metric_id).declaration


def all() -> tuple[MetricSpec, ...]:
    """Every registered spec, in catalogue order."""
    return tuple(sorted((e.spec for e in _REGISTRY.values()), key=lambda s: s.number))


def by_family() -> Mapping[Family, tuple[MetricSpec, ...]]:
    """The specs grouped by family, in catalogue order."""
    grouped: dict[Family, list[MetricSpec]] = {family: [] for family in Family}
    for spec in all():
        grouped[spec.family].append(spec)
    return {family: tuple(specs) for family, specs in grouped.items() if specs}


def to_json(*, indent: int | None = 2) -> str:
    """The whole catalogue as JSON."""
    return json.dumps([spec.to_dict() for spec in all()], indent=indent, default=str)
