"""Every spec's related ids name metrics of the catalogue, and registered ids keep their numbers."""

from __future__ import annotations

import pytest

from advocacy_kpis import catalog

CATALOGUE_IDS = (
    "net_promoter_score",
    "customer_satisfaction_score",
    "customer_loyalty_index",
    "customer_sentiment",
    "brand_sentiment",
    "customer_feedback_retention_score",
    "referral_program_participation_rate",
    "referral_readiness_score",
    "referral_ready_account_rate",
    "advocate_re_engagement_rate",
    "social_shares",
    "share_rate_among_icps",
    "referral_discussion_initiation_rate",
    "personalized_referral_outreach_rate",
    "warm_introduction_offer_rate",
    "referral_intent_in_qbrs",
    "time_to_first_referral",
    "time_to_advocacy",
    "client_referral_rate",
    "referral_conversion_rate",
    "new_customers_from_referrals",
    "revenue_from_referrals",
    "referral_account_revenue_contribution",
    "referral_pipeline_contribution_rate",
    "referral_campaign_roi",
    "referral_retention_rate",
    "referral_invitation_rate",
    "customer_retention_rate",
    "customer_churn_rate",
    "contract_renewal_rate",
    "expansion_revenue",
    "expansion_revenue_growth_rate",
    "activation_to_expansion_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "customer_advocacy_rate",
    "advocate_pool_size",
    "advocate_activation_rate",
    "reference_request_fill_rate",
    "reference_time_to_fill",
    "review_velocity",
    "advocate_influenced_pipeline",
    "advocate_influenced_revenue",
    "influencer_and_advocate_mentions",
    "community_growth_rate",
    "tap_policy_compliance",
)
"""The catalogue's 46 metric ids, in catalogue order (number = position + 1)."""

SPECS = catalog.all()


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_related_ids_name_catalogue_metrics(spec: catalog.MetricSpec) -> None:
    registered = {s.id for s in SPECS}
    unknown = [other for other in spec.related if other not in registered and other not in CATALOGUE_IDS]
    assert not unknown, f"{spec.id} relates to ids outside the catalogue: {unknown}"
    assert spec.related, f"{spec.id} names no related metric"


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_registered_metric_has_its_catalogue_id_and_number(spec: catalog.MetricSpec) -> None:
    assert spec.id in CATALOGUE_IDS
    assert CATALOGUE_IDS.index(spec.id) + 1 == spec.number
