"""Typed inference on the common result object (reindus.evaluation.results)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from reindus.evaluation import EstimateResult, results_table
from reindus.evaluation.did import did
from reindus.evaluation.results import Inference, InferenceSet
from reindus.evaluation.simulate import simulate_panel
from reindus.evaluation.synth import synth

#: the headline views of did() on this panel, as printed before inference was typed
DID_SUMMARY = ("twfe_did [permutation]: 0.0091 (95% CI -inf, inf), p = 0.077, treated = u00, "
               "12 controls, n = 1300")
SYNTH_PLACEBO_SUMMARY = ("synthetic_control [placebo]: 0.0105 (85% CI 0.0034, 0.0186), "
                         "p = 0.077, treated = u00, 12 controls, n = 1300")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate_panel(seed=11, effect=0.01)


@pytest.fixture(scope="module")
def res(panel: pd.DataFrame) -> EstimateResult:
    return did(panel, treated="u00", start=92, n_boot=199, n_perm=199, seed=3)


def test_headline_views_are_unchanged(res: EstimateResult) -> None:
    assert res.summary() == DID_SUMMARY
    assert res.table().to_dict("records") == [{
        "method": "twfe_did", "inference": "permutation", "estimate": res.estimate,
        "ci_lo": -math.inf, "ci_hi": math.inf, "level": 0.95, "p_value": 1 / 13,
        "treated": "u00", "n_controls": 12, "n_obs": 1300}]
    rec = res.record_fields(note="x")
    assert rec["method"] == "twfe_did [permutation]" and rec["interval"] == (None, None)
    assert rec["p_value"] == pytest.approx(1 / 13) and rec["level"] == 0.95
    assert isinstance(rec["method"], str)
    assert results_table({"a": res})["inference"].tolist() == ["permutation"]
    # the headline is the plain method name wherever a string was printed
    assert str(res.inference) == f"{res.inference}" == "permutation"
    assert res.inference.headline == "permutation"


def test_typed_mapping_holds_every_method(res: EstimateResult) -> None:
    inf = res.inference
    assert list(inf) == ["cluster", "wild", "permutation", "conley_taber", "conformal"]
    ct = inf["conley_taber"]
    assert isinstance(ct, Inference) and ct.method == "conley_taber"
    assert ct.level == pytest.approx(11 / 13)  # the attainable level of 12 placebos
    assert ct.ci[0] < res.estimate < ct.ci[1]
    assert inf["cluster"].se == res.diagnostics["cluster_se"] and inf["cluster"].df == 12
    assert inf["permutation"].extras["min_p_value"] == pytest.approx(1 / 13)
    assert "inference" not in res.diagnostics  # one store, not two
    with pytest.raises(TypeError):
        inf["cluster"] = ct  # type: ignore[index]
    with pytest.raises(TypeError):
        ct.extras["n_placebos"] = 0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ct.p_value = 0.0  # type: ignore[misc]


def test_confint_and_pvalue(res: EstimateResult) -> None:
    assert res.confint() == res.ci and res.pvalue() == res.p_value
    assert res.confint("conformal") == res.inference["conformal"].ci
    assert res.pvalue("cluster") == res.inference["cluster"].p_value < 0.05


def test_missing_method_names_the_available_ones_and_the_fix(panel: pd.DataFrame) -> None:
    r = did(panel, treated="u00", start=92, methods=("cluster",), inference="cluster")
    with pytest.raises(KeyError) as e:
        r.confint("conley_taber")
    msg = str(e.value)
    assert "'conley_taber' was not computed" in msg and "('cluster',)" in msg
    assert "methods=" in msg
    with pytest.raises(KeyError, match="not computed"):
        r.with_inference("wild")


def test_tidy_has_one_row_per_method(res: EstimateResult) -> None:
    t = res.tidy()
    assert list(t.columns) == ["method", "inference", "estimate", "ci_lo", "ci_hi", "level",
                               "p_value", "headline"]
    assert list(t["inference"]) == list(res.inference)
    assert t["headline"].tolist() == [m == "permutation" for m in res.inference]
    row = t.set_index("inference").loc["conley_taber"]
    assert (row["ci_lo"], row["ci_hi"]) == res.inference["conley_taber"].ci
    assert row["level"] == pytest.approx(11 / 13) and (t["method"] == "twfe_did").all()


def test_with_inference_chooses_the_headline_on_the_fitted_object(res: EstimateResult,
                                                                  panel: pd.DataFrame) -> None:
    ct = res.with_inference("conley_taber")
    assert ct.inference.headline == "conley_taber" and res.inference.headline == "permutation"
    assert ct.ci == res.confint("conley_taber") and ct.level == pytest.approx(11 / 13)
    assert ct.table()["inference"].item() == "conley_taber"
    assert ct.record_fields()["method"] == "twfe_did [conley_taber]"
    # the same numbers as asking the estimator for that headline
    direct = did(panel, treated="u00", start=92, n_boot=199, n_perm=199, seed=3,
                 inference="conley_taber")
    assert ct.summary() == direct.summary()
    s = synth(panel, treated="u00", start=92)
    assert s.with_inference("placebo").summary() == SYNTH_PLACEBO_SUMMARY


def test_constructor_accepts_a_method_name_and_checks_the_headline() -> None:
    kw = dict(estimate=0.1, ci=(0.0, 0.2), p_value=0.04, method="m", treated=["a"],
              controls=["b", "c"], periods={}, n_obs=10)
    r = EstimateResult(inference="cluster", **kw)
    assert isinstance(r.inference, InferenceSet) and list(r.inference) == ["cluster"]
    assert r.inference["cluster"] == Inference("cluster", (0.0, 0.2), 0.04, 0.95)
    assert r.summary().startswith("m [cluster]: 0.1000 (95% CI 0.0000, 0.2000), p = 0.040")
    other = InferenceSet([Inference("cluster", (0.0, 0.3), 0.04, 0.95)], headline="cluster")
    with pytest.raises(ValueError, match="differ from the headline"):
        EstimateResult(inference=other, **kw)
    with pytest.raises(ValueError, match="not among the computed"):
        InferenceSet([Inference("a", (0.0, 1.0), 0.5, 0.95)], headline="b")
    nan = InferenceSet.single("x", (np.nan, np.nan), np.nan, 0.95)
    assert EstimateResult(**{**kw, "ci": (np.nan, np.nan), "p_value": np.nan},
                          inference=nan).inference.headline == "x"


def _lazy_panel():
    from reindus.evaluation.simulate import simulate_panel

    return simulate_panel(n_units=12, n_periods=30, treated=(0, 1), start=24, effect=0.01, seed=4)


def test_did_computes_the_headline_now_and_the_other_methods_when_read() -> None:
    """Inference is chosen on the fitted object: did() pays for its headline only, and a method
    read later, in any order, gives the numbers it gives when computed at fit time."""
    from reindus.evaluation.did import did

    kw = dict(treated=["u00", "u01"], start=24, n_boot=99, n_perm=99, seed=3)
    lazy = did(_lazy_panel(), **kw)
    assert lazy.inference.computed() == ("permutation",)
    eager = did(_lazy_panel(), eager=True, **kw)
    assert set(eager.inference.computed()) == set(eager.inference)
    for m in reversed(list(lazy.inference)):  # the reverse of the fit-time order
        assert lazy.inference[m] == eager.inference[m]
    assert lazy.inference == eager.inference
    assert lazy.with_inference("wild").confint() == eager.inference["wild"].ci


def test_deferred_inference_survives_pickling_and_keeps_its_headline() -> None:
    import pickle

    from reindus.evaluation.did import did

    r = did(_lazy_panel(), treated="u00", start=24, n_boot=49, n_perm=49, seed=1,
            inference="cluster")
    back = pickle.loads(pickle.dumps(r))
    assert back.inference.headline == "cluster"
    assert set(back.inference.computed()) == set(r.inference)  # pickling computed them
    assert back.tidy().equals(r.tidy())


def test_a_deferred_headline_is_refused() -> None:
    from reindus.evaluation.results import Inference, InferenceSet

    done = Inference("cluster", (0.0, 1.0), 0.5, 0.95)
    with pytest.raises(ValueError, match="must be computed"):
        InferenceSet({"cluster": done, "wild": lambda: done}, headline="wild")
    s = InferenceSet({"cluster": done, "wild": lambda: Inference("wild", (0.0, 2.0), 0.4, 0.95)},
                     headline="cluster")
    assert s.computed() == ("cluster",) and s["wild"].ci == (0.0, 2.0)
    assert s.computed() == ("cluster", "wild")
