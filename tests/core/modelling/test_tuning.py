from core.catalog import data
from core.modelling import models
from core.modelling.tuning import auto_tune, candidate_params
from tests.conftest import make_synthetic_tracks


def test_candidates_start_with_defaults_and_stay_on_the_grid():
    cands = candidate_params("xgboost", True, 6, seed=0)
    assert cands[0] == models.default_params("xgboost")
    assert len({tuple(sorted(c.items())) for c in cands}) == 6
    space = {p.name: p for p in models.REGISTRY["xgboost"].space}
    for cand in cands:
        for name, value in cand.items():
            assert value in space[name].ticks()


def test_auto_tune_returns_valid_params_with_progress():
    raw = make_synthetic_tracks(300, 3, seed=4)
    df = data.load_upload(raw.to_csv(index=False).encode(), "syn.csv").df
    seen = []
    out = auto_tune(df, "valence", "tree", n_candidates=6, seed=0, on_progress=seen.append)
    assert models.check_params("tree", True, out["best_params"]) == out["best_params"]
    assert out["metric"] == "mae" and out["best_score"] > 0
    assert len(out["trials"]) == len(seen) and seen[-1].unit == "fit"
    # one set of numbers: settings asked for = settings tried; fits done = fits announced
    assert out["n_settings"] == 6 and out["n_fits"] == out["planned_fits"] == seen[-1].total
    assert seen[-1].step == seen[-1].total
    assert out["trials"]["rung"].max() >= 1  # successive halving reached a later rung
    stopped = auto_tune(df, "valence", "tree", n_candidates=6, should_stop=lambda: True)
    assert stopped["trials"].empty and stopped["best_score"] is None


def test_three_settings_agree_everywhere():
    from core.modelling.leaderboard import describe_plan, tune_plan

    raw = make_synthetic_tracks(300, 3, seed=5)
    df = data.load_upload(raw.to_csv(index=False).encode(), "syn.csv").df
    seen = []
    out = auto_tune(df, "valence", "tree", n_candidates=3, seed=1, on_progress=seen.append)
    plan = tune_plan(3, out["trials"]["rows"].max())
    assert out["n_settings"] == 3 and out["n_fits"] == sum(n for n, _ in plan) == seen[-1].total
    assert describe_plan(plan, None).startswith(f"3 settings, {out['n_fits']} fits")
