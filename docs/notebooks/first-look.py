# %% [markdown]
# # A first look, in a notebook
#
# The sample data set through the library as a notebook would take it: one metric, its counts, a
# scorecard, a young cohort, a change between quarters, a breakdown by tier and a chart. Every cell
# ran when this site was built, and what follows it is its output, so the page shows what the code
# does today. The source is a plain Python file in the percent format (`# %%` starts a cell), which
# Jupyter (with Jupytext), VS Code and PyCharm open as a notebook:
# [first-look.py](first-look.py).

# %%
from advocacy_kpis import RevenueBasis, Segment, Window, metrics, sample, scorecard

data = sample.generate()  # 400 synthetic accounts, extracted on 1 October 2026
q3 = Window.quarter(2026, 3)
data.as_of

# %% [markdown]
# ## One metric
#
# A result carries its value, its interval, its window and segment, and the counts behind it.

# %%
nps = metrics.net_promoter_score(data, window=q3)
nps

# %%
dict(nps.components)

# %% [markdown]
# ## A scorecard
#
# Many metrics over several quarters and every tier, in one pass over the records.

# %%
quarters = [Window.quarter(2025, 4).shift(n) for n in range(4)]
card = scorecard(
    data,
    metrics=["net_promoter_score", "client_referral_rate", "customer_retention_rate"],
    windows=quarters,
    segments=Segment.by("tier"),
)
card

# %% [markdown]
# ## A young cohort
#
# A referral counts once its 90-day horizon has passed by `as_of`, converted or not. None of the
# third quarter's referrals has had its 90 days, so that quarter has no conversion rate yet, and
# the result says why instead of showing a number.

# %%
for window in (Window.quarter(2026, 2), q3):
    conversion = metrics.referral_conversion_rate(data, window=window)
    print(window, conversion.value, dict(conversion.components))
    print("   ", conversion.undefined_reason)

# %% [markdown]
# ## A change between quarters
#
# `change_from` compares two results of the same metric and segment and tests the difference.

# %%
nps.change_from(metrics.net_promoter_score(data, window=q3.previous()))

# %% [markdown]
# ## Tiers against the rest
#
# Each tier tested against the other customers, under one correction across the tiers.

# %%
from advocacy_kpis.analyses import segment_breakdown

segment_breakdown(data, "net_promoter_score", q3, by="tier")

# %% [markdown]
# ## A chart
#
# Scorecard rows are plain dictionaries, ready for any plotting library; here, matplotlib (the
# `report` extra).

# %%
import matplotlib.pyplot as plt

figure, axes = plt.subplots(figsize=(7, 3.2))
for tier in ("enterprise", "mid", "smb"):
    values = [
        metrics.net_promoter_score(data, window=w, segment=Segment.where(tier=tier)).value for w in quarters
    ]
    axes.plot([str(w) for w in quarters], values, marker="o", label=tier)
axes.set_ylabel("NPS")
axes.legend(frameon=False)
figure

# %% [markdown]
# Revenue needs a basis, and the sample's EUR contracts need a rate to USD:

# %%
from decimal import Decimal

basis = RevenueBasis.arr("USD", fx_rates={"EUR": Decimal("1.08")})
metrics.revenue_from_referrals(data, window=q3, basis=basis).value
