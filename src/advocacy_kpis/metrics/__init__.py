"""The metric functions, one module per catalogue family.

Every function takes the data set first and everything else by keyword:
``metric(data, *, window, segment=..., basis=...)``, and returns a `MetricResult`.
"""

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
from advocacy_kpis.metrics.retention import customer_churn_rate, customer_retention_rate
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
    "advocate_re_engagement_rate",
    "brand_sentiment",
    "client_referral_rate",
    "customer_churn_rate",
    "customer_feedback_retention_score",
    "customer_loyalty_index",
    "customer_retention_rate",
    "customer_satisfaction_score",
    "customer_sentiment",
    "net_promoter_score",
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
