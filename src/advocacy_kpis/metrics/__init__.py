"""The metric functions, one module per catalogue family.

Every function takes the data set first and everything else by keyword:
``metric(data, *, window, segment=..., basis=...)``, and returns a `MetricResult`.

A misspelt name (``metrics.net_promotor_score``) raises `UnknownMetricAttributeError`, an
`AttributeError` whose message names the closest metric ids.
"""

from typing import TYPE_CHECKING, NoReturn

from advocacy_kpis import catalog
from advocacy_kpis.errors import UnknownMetricAttributeError, UnknownMetricError
from advocacy_kpis.metrics.engagement import (
    AccountReadiness,
    advocate_re_engagement_rate,
    personalized_referral_outreach_rate,
    readiness_scores,
    referral_discussion_initiation_rate,
    referral_intent_in_qbrs,
    referral_program_participation_rate,
    referral_readiness_score,
    referral_ready_account_rate,
    share_rate_among_icps,
    social_shares,
    time_to_advocacy,
    time_to_first_referral,
    warm_introduction_offer_rate,
)
from advocacy_kpis.metrics.program import (
    advocate_activation_rate,
    advocate_influenced_pipeline,
    advocate_influenced_revenue,
    advocate_pool_size,
    community_growth_rate,
    customer_advocacy_rate,
    influencer_and_advocate_mentions,
    reference_request_fill_rate,
    reference_time_to_fill,
    review_velocity,
    tap_policy_compliance,
)
from advocacy_kpis.metrics.referrals import (
    client_referral_rate,
    new_customers_from_referrals,
    referral_account_revenue_contribution,
    referral_campaign_roi,
    referral_conversion_rate,
    referral_invitation_rate,
    referral_pipeline_contribution_rate,
    referral_retention_rate,
    revenue_from_referrals,
)
from advocacy_kpis.metrics.retention import (
    activation_to_expansion_rate,
    contract_renewal_rate,
    customer_churn_rate,
    customer_retention_rate,
    expansion_revenue,
    expansion_revenue_growth_rate,
    gross_revenue_retention,
    net_revenue_retention,
)
from advocacy_kpis.metrics.sentiment import (
    brand_sentiment,
    customer_feedback_retention_score,
    customer_loyalty_index,
    customer_satisfaction_score,
    customer_sentiment,
    net_promoter_score,
)

__all__ = [
    "AccountReadiness",
    "activation_to_expansion_rate",
    "advocate_re_engagement_rate",
    "brand_sentiment",
    "client_referral_rate",
    "contract_renewal_rate",
    "customer_churn_rate",
    "customer_feedback_retention_score",
    "customer_loyalty_index",
    "customer_retention_rate",
    "customer_satisfaction_score",
    "customer_sentiment",
    "expansion_revenue",
    "expansion_revenue_growth_rate",
    "gross_revenue_retention",
    "net_promoter_score",
    "net_revenue_retention",
    "new_customers_from_referrals",
    "personalized_referral_outreach_rate",
    "readiness_scores",
    "referral_account_revenue_contribution",
    "referral_campaign_roi",
    "referral_conversion_rate",
    "referral_discussion_initiation_rate",
    "referral_intent_in_qbrs",
    "referral_invitation_rate",
    "referral_pipeline_contribution_rate",
    "referral_program_participation_rate",
    "referral_readiness_score",
    "referral_ready_account_rate",
    "referral_retention_rate",
    "revenue_from_referrals",
    "share_rate_among_icps",
    "social_shares",
    "time_to_advocacy",
    "time_to_first_referral",
    "warm_introduction_offer_rate",
]

__all__ += [
    "advocate_activation_rate",
    "advocate_influenced_pipeline",
    "advocate_influenced_revenue",
    "advocate_pool_size",
    "community_growth_rate",
    "customer_advocacy_rate",
    "influencer_and_advocate_mentions",
    "reference_request_fill_rate",
    "reference_time_to_fill",
    "review_velocity",
    "tap_policy_compliance",
]


def _no_such_attribute(name: str) -> NoReturn:
    """Refuse a name that is no attribute of this module, naming the metric ids it is closest to."""
    plain = f"module {__name__!r} has no attribute {name!r}"
    # Tools probe modules for private and dunder names: those get the plain error, no suggestion.
    if name.startswith("_"):
        raise AttributeError(plain)
    try:
        target = catalog.resolve(name)
    except UnknownMetricError as error:
        raise UnknownMetricAttributeError(f"{plain}. {error}") from None
    raise UnknownMetricAttributeError(
        f"{plain}. {name!r} stands for the metric {target!r}: call metrics.{target}(...) "
        f"or compute({name!r}, ...)."
    )


# At run time only: a module __getattr__ that a type checker saw would let every misspelt name type-check.
if not TYPE_CHECKING:
    __getattr__ = _no_such_attribute
