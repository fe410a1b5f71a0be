"""Figures and printed reports of the evaluation (reindus.plots.evaluation)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from reindus.evaluation.descriptive import before_after, index_paths
from reindus.evaluation.event_study import event_study
from reindus.evaluation.simulate import simulate_panel
from reindus.evaluation.staggered import callaway_santanna
from reindus.evaluation.synth import synth
from reindus.plots import evaluation as plots

matplotlib.use("Agg")

N_UNITS, N_PERIODS, START = 6, 40, 32
NAMES = {f"u{i:02d}": f"Region {i}" for i in range(N_UNITS)}
DONORS = [f"u{i:02d}" for i in range(1, N_UNITS)]


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return simulate_panel(n_units=N_UNITS, n_periods=N_PERIODS, treated=[0], start=START,
                          effect=0.05, seed=11)


@pytest.fixture(scope="module")
def synth_result(sim):
    return synth(sim, treated="u00", start=START, controls=DONORS)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    matplotlib.pyplot.close("all")


def test_event_study_plot_returns_the_plotted_coefficients(sim):
    es = event_study(sim, treated="u00", start=START, controls=DONORS, leads=4, n_perm=99, seed=1)
    fig, data = plots.plot_event_study(es, start=START, title="simulated")
    assert isinstance(fig, Figure)
    assert {"event_time", "coef", "ci_lo", "ci_hi", "ci_lo_cluster", "ci_hi_cluster",
            "binned"} <= set(data.columns)
    # one row per coefficient, in percent of the estimator's log points
    assert len(data) == len(es.details)
    np.testing.assert_allclose(data["coef"], 100 * es.details["coef"])
    assert data["event_time"].min() == -4
    assert "-4 = 4 or more before" in fig.axes[0].get_xlabel()
    text = plots.event_study_report(es)
    assert f"mean of the post coefficients: {100 * es.estimate:.2f} %" in text
    assert "Joint pre-trend test, " in text


def test_synthetic_controls_plot_has_one_row_of_panels_per_treated_unit(sim, synth_result):
    other = synth(sim, treated="u01", start=START, controls=DONORS[1:])
    fig, data = plots.plot_synthetic_controls({"u00": synth_result, "u01": other}, NAMES,
                                              title="simulated")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    assert list(data.columns) == ["period", "treated", "synthetic", "gap", "post", "region"]
    assert len(data) == 2 * N_PERIODS
    assert data["region"].tolist() == ["u00"] * N_PERIODS + ["u01"] * N_PERIODS
    assert data["post"].sum() == 2 * (N_PERIODS - START)
    # the gap panel draws every donor's placebo gap plus the treated gap
    n_placebos = sum(c.startswith("placebo_gap_") for c in synth_result.details.columns)
    # + treated gap, legend stub, zero line, start line
    assert len(fig.axes[1].lines) == n_placebos + 4


def test_synth_report_lists_the_weights(synth_result):
    text = plots.synth_report(synth_result, NAMES)
    w = synth_result.diagnostics["weights"].query("weight > 0.001")
    assert text.startswith(f"Region 0 from {START} ({N_PERIODS - START} post quarters), "
                           f"{len(DONORS)} donors")
    weights_line = next(line for line in text.splitlines() if "weights:" in line)
    for donor, weight in zip(w["donor"], w["weight"], strict=True):
        assert f"{NAMES[donor]} {weight:.3f}" in weights_line
    assert "placebo in space" in text and "leave one donor out: without" in text
    assert f"effect (mean gap) {100 * synth_result.estimate:.2f} %" in text
    # without names, codes are shown
    assert "u00 from" in plots.synth_report(synth_result)


def test_synth_report_rejects_other_results(sim):
    es = event_study(sim, treated="u00", start=START, controls=DONORS, leads=4, n_perm=19)
    with pytest.raises(TypeError, match="synth"):
        plots.synth_report(es, NAMES)


def test_index_paths_and_before_after_on_quarters(sim):
    quarters = pd.period_range("2015Q1", periods=N_PERIODS, freq="Q-DEC")
    panel = sim.assign(quarter=quarters[sim["period"]], employment=np.exp(sim["y"]),
                       log_employment=sim["y"])
    start = quarters[START]
    paths = index_paths(panel, treated="u00", controls=DONORS, base=start - 1, unit="unit")
    fig, data = plots.plot_index_paths(paths, start=start, label="Region 0", ylabel="index",
                                       title="t", break_at=quarters[20])
    assert isinstance(fig, Figure)
    assert list(data.columns) == ["period", "treated", "donor_mean", "donor_min", "donor_max"]
    assert len(data) == N_PERIODS
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [" accord", " apprentices counted"]
    ba = before_after(panel, treated="u00", start=start, controls=DONORS, quarters=4)
    report = plots.before_after_report(ba, NAMES)
    assert report.splitlines()[0].startswith("Before/after over ")
    assert "Region 0" in report and "treated - donor mean" in report


def test_event_profile_and_scenario_table(sim):
    cs = callaway_santanna(sim, n_perm=49, seed=2)
    fig, ev = plots.plot_event_profile(cs, NAMES, window=(-3, 2))
    assert isinstance(fig, Figure)
    assert ev["e"].between(-3, 2).all() and len(ev) == 6
    np.testing.assert_allclose(ev["att_pct"], 100 * ev["att"])
    assert "Region 0" in fig.axes[0].get_title()
    tab = plots.staggered_table({"a": cs, "b": cs})
    assert list(tab.columns) == ["scenario", "treated", "att_pct", "ci_lo_pct", "ci_hi_pct",
                                 "p_value", "n_assignments"]
    assert tab["scenario"].tolist() == ["a", "b"]
    assert tab.loc[0, "att_pct"] == pytest.approx(100 * cs.estimate)


def test_robustness_plot_and_report():
    rob = pd.DataFrame({"spec": ["baseline", "detrended"], "estimator": ["did", "did"],
                        "estimate": [0.01, -0.02], "ci_lo": [-0.01, -np.inf],
                        "ci_hi": [0.03, np.inf], "p_value": [0.2, 0.9], "n_controls": [9, 9],
                        "pre": ["2015Q1-2023Q4"] * 2, "start": ["2024Q1"] * 2, "n_obs": [10, 10]})
    fig, data = plots.plot_robustness(rob, title="t")
    assert isinstance(fig, Figure)
    pd.testing.assert_frame_equal(data, rob)  # saved in log points, unclipped
    segments = fig.axes[0].collections[0].get_segments()  # intervals, in %, clipped at 15
    assert [tuple(seg[:, 0]) for seg in segments] == [pytest.approx((-1.0, 3.0)), (-15.0, 15.0)]
    text = plots.robustness_report(rob)
    assert "baseline" in text and "-2.0" in text and "inf" in text
    with pytest.raises(ValueError, match="lacks columns"):
        plots.robustness_report(rob.drop(columns="pre"))


def test_bad_periods_raise_clearly():
    paths = pd.DataFrame({"period": ["a", "b"], "treated": [100.0, 101.0],
                          "donor_mean": [100.0, 100.5], "donor_min": [99.0, 99.0],
                          "donor_max": [101.0, 102.0]})
    with pytest.raises(ValueError, match="quarters"):
        plots.plot_index_paths(paths, start="b", label="x", ylabel="y", title="t")


# ------------------------------------------------------------ every figure returns (fig, data)


def _plot_functions() -> dict[str, object]:
    """Every public ``plot_*`` of the evaluation, accord and sensitivity figure modules."""
    import inspect

    from reindus.plots import accords as accord_plots
    from reindus.plots import sensitivity as sensitivity_plots

    found = {}
    for mod in (plots, accord_plots, sensitivity_plots):
        for name, f in vars(mod).items():
            if name.startswith("plot_") and inspect.isfunction(f):
                found[f"{mod.__name__.rsplit('.', 1)[-1]}.{name}"] = f
    return found


def _fig_cases(sim, synth_result) -> dict[str, object]:
    """One call per plot function on small simulated inputs (name -> thunk)."""
    from reindus.evaluation.results import EstimateResult
    from reindus.evaluation.trends import trend_event_study
    from reindus.plots import accords as accord_plots
    from reindus.plots.sensitivity import plot_sensitivity

    quarters = pd.period_range("2015Q1", periods=N_PERIODS, freq="Q-DEC")
    qpanel = sim.assign(quarter=quarters[sim["period"]].astype(str), employment=np.exp(sim["y"]),
                        log_employment=sim["y"])
    es = event_study(sim, treated="u00", start=START, controls=DONORS, leads=4, n_perm=19, seed=1)
    trend = trend_event_study(sim, treated="u00", start=START, controls=DONORS)
    qsynth = synth(qpanel, treated="u00", start=str(quarters[START]), controls=DONORS,
                   period="quarter")
    zone = EstimateResult(
        estimate=0.01, ci=(-0.01, 0.03), p_value=0.5, method="zone_event_study",
        inference="placebo_regions", treated=["32"], controls=["11", "24"],
        periods={"pre": ("2020Q1", "2022Q4"), "post": ("2023Q1", "2023Q4")}, n_obs=10,
        details=pd.DataFrame({"event_time": [-2, -1, 0], "quarter": ["2022Q3", "2022Q4", "2023Q1"],
                              "estimate": [0.0, 0.0, 0.01], "placebo_lo": [-0.01] * 3,
                              "placebo_hi": [0.01] * 3}))
    rob = pd.DataFrame({"spec": ["baseline"], "estimator": ["did"], "estimate": [0.01],
                        "ci_lo": [-0.01], "ci_hi": [0.03], "p_value": [0.2], "n_controls": [9],
                        "pre": ["2015Q1-2023Q4"], "start": ["2024Q1"]})
    validation = pd.DataFrame({"scenario": ["trend"], "estimator": ["did"],
                               "inference": ["conformal"], "size": [0.05], "coverage": [0.95],
                               "rmse": [0.01], "n_treated": [1]})
    sens = pd.DataFrame({"restriction": ["smoothness"] * 2, "m": [0.0, np.nan],
                         "id_lb": [0.01, 0.01], "id_ub": [0.01, 0.01], "ci_lo": [0.0, 0.004],
                         "ci_hi": [0.02, 0.016], "method": ["FLCI", "original"]})
    return {
        "evaluation.plot_index_paths": lambda: plots.plot_index_paths(
            index_paths(qpanel, treated="u00", controls=DONORS, base=str(quarters[START - 1]),
                        unit="unit", period="quarter"),
            start=quarters[START], label="Region 0", ylabel="index", title="t"),
        "evaluation.plot_event_study": lambda: plots.plot_event_study(es, start=START, title="t"),
        "evaluation.plot_synthetic_controls": lambda: plots.plot_synthetic_controls(
            {"u00": synth_result}, NAMES, title="t"),
        "evaluation.plot_event_profile": lambda: plots.plot_event_profile(
            callaway_santanna(sim, n_perm=19, seed=2), NAMES),
        "evaluation.plot_robustness": lambda: plots.plot_robustness(rob, title="t"),
        "evaluation.plot_validation": lambda: plots.plot_validation(validation),
        "accords.plot_counterfactuals": lambda: accord_plots.plot_counterfactuals(
            es, trend, title="t"),
        "accords.plot_zone_event_studies": lambda: accord_plots.plot_zone_event_studies(
            {"a": zone}, title="t"),
        "accords.plot_gigafactory_gaps": lambda: accord_plots.plot_gigafactory_gaps(
            {"u00": qsynth}, {"u00": "Zone 0"}, announced={"u00": "2020Q1"}, title="t"),
        "accords.plot_estimates": lambda: accord_plots.plot_estimates(
            pd.DataFrame({"lab": ["a"], "estimate": [1.0], "ci_lo": [0.0], "ci_hi": [2.0]}),
            label="lab", title="t"),
        "sensitivity.plot_sensitivity": lambda: plot_sensitivity(sens),
    }


def test_every_plot_function_returns_its_figure_and_plotted_frame(sim, synth_result):
    # issue 14: every plot_* returns (fig, data) so that save_figure gets the plotted data
    cases = _fig_cases(sim, synth_result)
    assert set(cases) == set(_plot_functions()), "a plot function without a case here"
    for name, call in cases.items():
        out = call()
        assert isinstance(out, tuple) and len(out) == 2, name
        fig, data = out
        assert isinstance(fig, Figure), name
        assert isinstance(data, pd.DataFrame) and not data.empty, name
