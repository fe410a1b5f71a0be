"""Shared fixed-effects algebra and the many-treated-units designs of did / event_study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from reindus.evaluation.did import did
from reindus.evaluation.event_study import event_study
from reindus.evaluation.fixed_effects import demean, fe_fit, two_way_demean
from reindus.evaluation.inference import count_clusters, inference_regime


def _panel(n: int = 60, t: int = 8, n_treated: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = [f"e{i:03d}" for i in range(n)]
    x = rng.normal(size=n)
    y = (rng.normal(size=(n, 1)) + 0.05 * np.arange(t)[None] + 0.03 * np.outer(x, np.arange(t))
         + rng.normal(0, 0.05, (n, t)))
    y[:n_treated, t // 2:] += 0.1
    return pd.DataFrame({
        "unit": np.repeat(units, t), "period": np.tile(np.arange(2010, 2010 + t), n),
        "y": y.ravel(), "x": np.repeat(x, t), "cl": np.repeat(np.arange(n) // 3, t),
        "region": np.repeat(np.arange(n) % 4, t), "w": np.repeat(rng.uniform(0.5, 2, n), t),
        "D": (np.repeat(np.arange(n) < n_treated, t)
              & (np.tile(np.arange(t), n) >= t // 2)).astype(float)})


def test_unweighted_demean_is_two_way_demean():
    A = np.random.default_rng(1).normal(size=(3, 7, 5))
    np.testing.assert_allclose(demean(A), two_way_demean(A), atol=1e-13)


def _dummy_fit(df: pd.DataFrame, regressors: list[str], *, strata: bool = False,
               trends: bool = False):
    """statsmodels WLS on explicit dummies (full rank), clustered by ``cl``."""
    periods = sorted(df["period"].unique())
    cols = {c: df[c].to_numpy(dtype=float) for c in regressors}
    for u in sorted(df["unit"].unique()):
        cols[f"u_{u}"] = (df["unit"] == u).to_numpy(dtype=float)
    groups = sorted(df["region"].unique()) if strata else [None]
    for g in groups:
        for p in periods[1:]:
            m = (df["period"] == p) & ((df["region"] == g) if strata else True)
            cols[f"t_{g}_{p}"] = m.to_numpy(dtype=float)
    if trends:
        for p in periods[1:]:
            cols[f"x_{p}"] = (df["x"] * (df["period"] == p)).to_numpy(dtype=float)
    X = pd.DataFrame(cols)
    fit = sm.WLS(df["y"].to_numpy(), X, weights=df["w"].to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": df["cl"].to_numpy()})
    return fit, X.shape[1]


@pytest.mark.parametrize("strata", [False, True])
def test_fe_fit_matches_statsmodels_weighted_dummies(strata):
    df = _panel()
    ref, k = _dummy_fit(df, ["D"], strata=strata)
    Y = df.pivot(index="unit", columns="period", values="y").to_numpy()
    D = df.pivot(index="unit", columns="period", values="D").to_numpy()
    u = df.drop_duplicates("unit")
    fit = fe_fit(Y, D, weights=u["w"].to_numpy(), clusters=u["cl"].to_numpy(),
                 strata=u["region"].to_numpy() if strata else None, absorbed_dof=k - 1)
    assert fit.beta[0] == pytest.approx(ref.params["D"], abs=1e-10)
    assert fit.se[0] == pytest.approx(ref.bse["D"], rel=1e-8)
    assert fit.n_clusters == 20


def test_did_many_treated_clusters_weights_trends_match_statsmodels():
    df = _panel()
    treated = [f"e{i:03d}" for i in range(20)]
    r = did(df, treated=treated, start=2014, inference="cluster", methods=("cluster", "wild"),
            cluster="cl", weights="w", trends=("x",), n_boot=199)
    ref, _ = _dummy_fit(df, ["D"], trends=True)
    assert r.estimate == pytest.approx(ref.params["D"], abs=1e-10)
    assert r.diagnostics["cluster_se"] == pytest.approx(ref.bse["D"], rel=1e-8)
    wild = r.inference["wild"]
    assert wild.extras["n_clusters"] == 20 and wild.ci[0] < 0.1 < wild.ci[1]
    with pytest.raises(ValueError, match="only the 'cluster' and"):
        did(df, treated=treated, start=2014, cluster="cl", weights="w")


def test_general_wild_reduces_to_the_unit_clustered_one():
    df = _panel(n=13, t=30, n_treated=1, seed=3)
    a = did(df, treated="e000", start=2025, inference="wild", methods=("wild",), n_boot=199)
    b = did(df.assign(c=df["unit"]), treated="e000", start=2025, inference="wild",
            methods=("wild",), n_boot=199, cluster="c")
    assert a.p_value == b.p_value
    np.testing.assert_allclose(a.ci, b.ci, rtol=1e-9)


def test_event_study_cluster_inference_matches_statsmodels():
    df = _panel()
    treated = [f"e{i:03d}" for i in range(20)]
    # 20 treated units in 7 clusters: too few for cluster-robust inference by default, and
    # the placebo inference does not handle weights: the automatic choice refuses
    with pytest.raises(ValueError, match="Conley-Taber"):
        event_study(df, treated=treated, start=2014, leads=4, cluster="cl", weights="w")
    r = event_study(df, treated=treated, start=2014, leads=4, cluster="cl", weights="w",
                    trends=("x",), inference="cluster", absorbed_dof=0)
    assert r.inference.headline == "cluster_cl"
    tr = df["unit"].isin(treated)
    ev = [2010, 2011, 2012, 2014, 2015, 2016, 2017]
    for k in ev:
        df[f"d{k}"] = (tr & (df["period"] == k)).astype(float)
    ref, _ = _dummy_fit(df, [f"d{k}" for k in ev], trends=True)
    d = r.details.set_index("event_time")
    for k in ev:
        assert d.loc[k - 2013 - 1, "coef"] == pytest.approx(ref.params[f"d{k}"], abs=1e-9)
    assert r.diagnostics["pretrend"]["f_cluster"]["df2"] == 19
    # absorbed_dof=0: only the 7 event dummies and 7 trend terms count in n - k
    n, kk = 60 * 8, 14
    ratio = ((n - 1) / (n - kk)) / ((n - 1) / (n - ref.df_model - 1))
    assert d.loc[2, "se_cluster"] == pytest.approx(ref.bse["d2016"] * np.sqrt(ratio), rel=1e-8)


def test_inference_regime():
    assert count_clusters([True, True, False], ["a", "b", "b"]) == (2, 1)
    assert inference_regime(1, 12) == "few"
    assert inference_regime(10, 10) == "many"


def test_did_auto_inference_follows_the_design():
    many = _panel()
    r = did(many, treated=[f"e{i:03d}" for i in range(20)], start=2014, inference="auto",
            n_boot=99)
    assert r.inference.headline == "cluster" and set(r.inference) == {"cluster", "wild"}
    # clustered in groups of three, the 20 treated units are 7 treated clusters: few
    r = did(many, treated=[f"e{i:03d}" for i in range(20)], start=2014, inference="auto",
            cluster="cl", methods=("cluster", "wild", "permutation"), n_boot=99, n_perm=99)
    assert r.inference.headline == "permutation"
    few = _panel(n=13, t=30, n_treated=1, seed=3)
    r = did(few, treated="e000", start=2025, inference="auto", n_boot=99, n_perm=99)
    assert r.inference.headline == "permutation"


def test_two_way_demean_is_demean_without_weights_or_strata() -> None:
    """The closed form used in the placebo loops is the unweighted case of ``demean``."""
    from reindus.evaluation.fixed_effects import demean, two_way_demean

    A = np.random.default_rng(5).normal(size=(3, 11, 17))
    np.testing.assert_allclose(two_way_demean(A), demean(A), rtol=0, atol=1e-12)
