"""Synthetic control (reindus.evaluation.synth), cross-checked against pysyncon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from reindus.evaluation.simulate import simulate_panel
from reindus.evaluation.synth import fit_matrix, simplex_least_squares, synth


def _slsqp(A, b):
    n = A.shape[1]
    res = minimize(lambda w: np.sum((A @ w - b) ** 2), np.full(n, 1 / n),
                   jac=lambda w: 2 * A.T @ (A @ w - b), method="SLSQP",
                   bounds=[(0, 1)] * n,
                   constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
                   options={"ftol": 1e-14, "maxiter": 2000})
    return res.x


def test_simplex_ls_by_hand():
    # b lies between donors 0 and 1: w = (0.25, 0.75, 0)
    A = np.array([[0.0, 4.0, 10.0], [0.0, 4.0, -10.0]])
    b = np.array([3.0, 3.0])
    np.testing.assert_allclose(simplex_least_squares(A, b), [0.25, 0.75, 0.0], atol=1e-12)
    # b outside the hull: nearest vertex
    np.testing.assert_allclose(simplex_least_squares(A, np.array([-5.0, -5.0])), [1, 0, 0],
                               atol=1e-12)
    assert simplex_least_squares(A[:, :1], b) == pytest.approx([1.0])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(3, 40), n=st.integers(2, 12))
def test_simplex_ls_is_optimal(seed, m, n):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n))
    b = rng.normal(size=m) * rng.uniform(0.1, 3)
    w = simplex_least_squares(A, b)
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    ref = _slsqp(A, b)
    # never worse than a tightly converged SLSQP, to 1e-9 relative: SLSQP meets sum(w) = 1 only
    # to its own tolerance, which can buy it ~1e-9 on an objective of ~145 (seed=145, m=15, n=7,
    # where w satisfies the KKT conditions below exactly)
    best = np.sum((A @ ref - b) ** 2)
    assert np.sum((A @ w - b) ** 2) <= best + 1e-9 * max(1.0, best)
    # KKT: every donor's half-gradient is >= the common value on the support
    g = A.T @ (A @ w - b)
    on = w > 1e-10
    assert np.ptp(g[on]) < 1e-7 * max(1.0, np.abs(g).max())
    assert (g[~on] >= g[on].mean() - 1e-7 * max(1.0, np.abs(g).max())).all()


def test_exact_convex_combination_is_recovered():
    df = simulate_panel(n_units=6, n_periods=40, seed=4, sigma=0.01)
    Y = df.pivot(index="unit", columns="period", values="y").to_numpy()
    target = 0.5 * Y[1] + 0.3 * Y[2] + 0.2 * Y[4]
    Y = np.vstack([target, Y[1:]])
    f = fit_matrix(Y, 30, demean=False)
    np.testing.assert_allclose(f.weights, [0.5, 0.3, 0.0, 0.2, 0.0], atol=1e-9)
    assert f.pre_rmspe < 1e-10 and abs(f.att) < 1e-10


def _pysyncon_weights(df: pd.DataFrame, treated: str, t0: int) -> tuple[np.ndarray, list[str]]:
    from pysyncon import Synth

    wide = df.pivot(index="period", columns="unit", values="y")
    Z = wide - wide.iloc[:t0].mean()  # the same demeaned outcome as ours
    pre = Z.iloc[:t0]
    X0, X1 = pre.drop(columns=treated), pre[treated]
    s = Synth()
    s.fit(X0=X0, X1=X1, Z0=X0, Z1=X1, custom_V=np.ones(t0))
    return np.asarray(s.W), list(X0.columns)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weights_match_pysyncon(seed):
    """Same panel, same predictors (pre-period outcomes), same V: weights within 1e-3."""
    df = simulate_panel(seed=seed, effect=0.02, factor_sd=0.01)
    w_ref, donors = _pysyncon_weights(df, "u00", 92)
    r = synth(df, treated="u00", start=92, standardize=True)
    ours = r.diagnostics["weights"].set_index("donor")["weight"].reindex(donors).to_numpy()
    assert np.abs(ours - w_ref).max() < 1e-3
    assert ours.sum() == pytest.approx(1.0)


def test_synth_result_and_diagnostics():
    df = simulate_panel(seed=7, effect=0.03, factor_sd=0.01)
    r = synth(df, treated="u00", start=92)
    assert r.method == "synthetic_control" and r.inference.headline == "conformal"
    assert r.estimate == pytest.approx(0.03, abs=0.01)
    assert r.ci[0] < r.estimate < r.ci[1]
    d = r.diagnostics
    assert 1 / 13 <= d["placebo_space"]["p_value"] <= 1
    assert d["placebo_space"]["min_p_value"] == pytest.approx(1 / 13)
    assert set(d["placebo_space"]["ratios"]) == {f"u{i:02d}" for i in range(1, 13)}
    assert d["placebo_time"]["fake_start"] == "84"
    assert set(d["leave_one_out"]["dropped"]) == set(d["weights"].query("weight > 1e-3")["donor"])
    assert r.details.shape[0] == 100 and r.details["post"].sum() == 8
    np.testing.assert_allclose(r.details["gap"], r.details["treated"] - r.details["synthetic"])
    # deterministic
    assert synth(df, treated="u00", start=92).summary() == r.summary()
    rp = synth(df, treated="u00", start=92, inference="placebo")
    assert rp.p_value == d["placebo_space"]["p_value"] == r.pvalue("placebo")
    # both methods are computed whichever headlines: choosing on the fitted object is the same
    assert rp.summary() == r.with_inference("placebo").summary()
    assert r.inference["placebo"].level == pytest.approx(11 / 13)


def test_synth_options():
    df = simulate_panel(n_units=6, n_periods=40, seed=9, effect=0.0)
    base = synth(df, treated="u00", start=32)
    ex = synth(df, treated="u00", start=32, exclude_periods=[10, 11, 12])
    assert ex.periods["n_pre_fit"] == base.periods["n_pre_fit"] - 3
    Y = df.pivot(index="unit", columns="period", values="y").to_numpy()
    opt = fit_matrix(Y, 32, v="optimize", fit_mask=np.arange(40) >= 24)
    eq = fit_matrix(Y, 32, fit_mask=np.arange(40) >= 24)
    # nested V cannot fit the pre-period outcomes better than V = I on the same predictors
    assert opt.pre_rmspe >= eq.pre_rmspe - 1e-9
    assert opt.v.sum() == pytest.approx(1.0) and opt.weights.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one treated unit"):
        synth(df, treated=["u00", "u01"], start=32)
    with pytest.raises(ValueError, match="inference"):
        synth(df, treated="u00", start=32, inference="bootstrap")
    with pytest.raises(ValueError, match="v must be"):
        synth(df, treated="u00", start=32, v=np.ones(3))
