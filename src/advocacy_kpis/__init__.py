"""advocacy_kpis: customer-advocacy KPIs computed exactly as defined, with their uncertainty.

Examples:
    >>> from advocacy_kpis import Window, metrics, sample
    >>> data = sample.tiny()
    >>> metrics.net_promoter_score(data, window=Window.quarter(2026, 3)).value
    25.0
"""

from advocacy_kpis import catalog, formulas, io, metrics, policy, stats
from advocacy_kpis.data import AdvocacyData, Cohort
from advocacy_kpis.errors import (
    AdvocacyKpisError,
    CurrencyMismatchError,
    DuplicateIdError,
    EngineNotSupportedError,
    IncomparableResultsError,
    InvalidRecordError,
    LoadError,
    MissingExtraError,
    ParameterError,
    SegmentNotApplicableError,
    SourceError,
    UnknownMetricError,
    UnknownReferenceError,
)
from advocacy_kpis.policy import ReadinessModel, TapPolicy
from advocacy_kpis.records import (
    QBR,
    Account,
    AdvocacyAction,
    Advocate,
    Ask,
    Asset,
    CommunityMember,
    Contract,
    Effort,
    Feedback,
    Mention,
    Opportunity,
    ProductChange,
    ProgramCost,
    PromptAction,
    ReferenceRequest,
    Referral,
    ReferralPrompt,
    Review,
    Sentiment,
    SocialShare,
    SurveyKind,
    SurveyResponse,
)
from advocacy_kpis.result import Change, Direction, Interval, MetricResult, Unit
from advocacy_kpis.scope import Calendar, Grain, Money, RevenueBasis, Segment, SegmentsBy, Window
from advocacy_kpis.scorecard import BreakdownRow, PeriodChange, Scorecard, compute, scorecard

__version__ = "0.1.0"

__all__ = [
    "QBR",
    "Account",
    "AdvocacyAction",
    "AdvocacyData",
    "AdvocacyKpisError",
    "Advocate",
    "Ask",
    "Asset",
    "BreakdownRow",
    "Calendar",
    "Change",
    "Cohort",
    "CommunityMember",
    "Contract",
    "CurrencyMismatchError",
    "Direction",
    "DuplicateIdError",
    "Effort",
    "EngineNotSupportedError",
    "Feedback",
    "Grain",
    "IncomparableResultsError",
    "Interval",
    "InvalidRecordError",
    "LoadError",
    "Mention",
    "MetricResult",
    "MissingExtraError",
    "Money",
    "Opportunity",
    "ParameterError",
    "PeriodChange",
    "ProductChange",
    "ProgramCost",
    "PromptAction",
    "ReadinessModel",
    "ReferenceRequest",
    "Referral",
    "ReferralPrompt",
    "RevenueBasis",
    "Review",
    "Scorecard",
    "Segment",
    "SegmentNotApplicableError",
    "SegmentsBy",
    "Sentiment",
    "SocialShare",
    "SourceError",
    "SurveyKind",
    "SurveyResponse",
    "TapPolicy",
    "Unit",
    "UnknownMetricError",
    "UnknownReferenceError",
    "Window",
    "__version__",
    "catalog",
    "compute",
    "formulas",
    "io",
    "metrics",
    "policy",
    "scorecard",
    "stats",
]
