"""The Why valence? page: every tab renders, a searched track is explained, odd catalogs work."""

from __future__ import annotations

import pandas as pd
import pytest

from core import warm
from core.catalog import data
from core.explain import recipe
from tests.conftest import make_synthetic_tracks
from tests.fakes.gate import held_gate_fixture, queue_notes_fixture  # noqa: F401
from tests.pages.helpers import app_test, texts

PAGE = "app_pages/why_valence.py"


@pytest.fixture(scope="module")
def at(tidy_catalog):
    # The deploy step (python -m core warm) for what the page opens with, outside the AppTest
    # time limit: on a busy 2-core machine the default model alone can take a minute to train.
    warm.build(tidy_catalog, ["valence_model", "shap", "ols", "selection", "permutation"])
    return app_test(PAGE)


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_drivers_tab_explains_the_default_model(at, tidy_catalog):
    assert not at.exception
    stored = warm.load(tidy_catalog, "shap")  # the page shows the precomputed SHAP
    top = stored.values.abs().mean().idxmax()
    assert at.selectbox(key="why_feature").value == top
    shown = texts(at)
    assert "default XGBoost model" in shown
    assert "exact TreeSHAP (XGBoost native) on 1,000 rows" in shown
    assert len(at.get("plotly_chart")) == 4  # importance, beeswarm, dependence, genre drivers
    at.selectbox(key="why_feature").set_value("loudness").run()
    assert not at.exception
    assert "interacts most with loudness" in texts(at)
    at.segmented_control(key="why_group").set_value("subgenre").run()
    assert not at.exception and "within each subgenre" in str(at.get("plotly_chart")[-1].proto.spec)
    at.segmented_control(key="why_rows").set_value(500).run()
    assert not at.exception and "on 500 rows" in texts(at)


def test_local_explanation_for_a_searched_track(at, tidy_catalog):
    at.session_state["why_tab"] = "One track"
    at.run()
    at.text_input(key="why_search").set_value("Someone You Loved").run()
    assert not at.exception
    box = at.selectbox(key="why_track")
    picked = box.value
    assert "Someone You Loved" in str(tidy_catalog.df.at[picked, "track_name"])
    actual = float(tidy_catalog.df.at[picked, "valence"])
    assert _metric(at, "Actual valence") == f"{actual:.3f}"
    assert 0 <= float(_metric(at, "Predicted valence")) <= 1
    assert len(at.get("plotly_chart")) == 1  # the waterfall
    at.text_input(key="why_search").set_value("zzzz no such song zzzz").run()
    assert not at.exception and "No track matches" in texts(at)


def test_same_titles_are_told_apart_in_the_picker(at, tidy_catalog):
    df = tidy_catalog.df
    dup = df["track_name"].value_counts()
    title = next(t for t in dup.index if dup[t] > 1 and len(t) > 6 and t.isascii())
    at.session_state["why_tab"] = "One track"
    at.run()
    at.text_input(key="why_search").set_value(title).run()
    labels = at.selectbox(key="why_track").options
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels


def test_statistics_tab(at):
    at.session_state["why_tab"] = "Statistics"
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "2,047 models" in shown  # 11 audio features in TidyTuesday
    assert float(_metric(at, "R²")) > 0.1
    assert _metric(at, "F-test p") == "< 1e-300"  # not a bare 0
    table = next(d.value for d in at.dataframe if "p-value" in d.value)
    assert list(table.columns)[:5] == ["feature", "coefficient", "std. error", "t", "p-value"]
    intercept = table[table["feature"] == "(intercept)"].iloc[0]
    assert intercept["effect of +1 SD"] == "" and "None" not in intercept.astype(str).tolist()
    assert "0.0" not in set(table["p-value"]) and "0" not in set(table["p-value"])
    at.segmented_control(key="why_criterion").set_value("bic").run()
    assert not at.exception and "by BIC" in texts(at)


def test_agreement_tab_summary_comes_from_the_numbers(at):
    at.session_state["why_tab"] = "Agreement"
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "The model leans most on" in shown
    table = at.dataframe[0].value
    top = table.sort_values("rank_shap")["feature"].iloc[0]
    assert f"leans most on {top}" in shown
    assert {"rank_shap", "rank_ols", "rank_permutation", "rank_impurity"} <= set(table.columns)


def test_recipe_tab_renders_a_fitted_report(at, tidy_catalog):
    at.session_state["why_tab"] = "Recipe"
    at.run()
    assert not at.exception
    assert at.button(key="why_fit_recipe")  # nothing is fitted until asked
    small = make_synthetic_tracks(300, seed=5)  # any report renders; a small one is quick
    report = recipe.evaluate(small, black_box=False, interaction=False)
    key = f"{tidy_catalog.source_id}:{tidy_catalog.checksum[:12]}:audio"
    at.session_state["why_recipes"] = {key: report}
    at.run()
    assert not at.exception
    assert _metric(at, "Recipe MAE") == f"{report['recipe']['mae']:.4f}"
    assert _metric(at, "XGBoost MAE") == "n/a"
    assert len(at.get("plotly_chart")) == 1


def test_link_parameters_are_applied_or_refused_with_a_notice():
    at = app_test(PAGE, query={"why_rows": "500", "why_feature": "energy"})
    assert not at.exception
    assert "on 500 rows" in texts(at)
    assert at.selectbox(key="why_feature").value == "energy"
    at = app_test(PAGE, query={"why_rows": "7", "why_criterion": "r2", "why_inter_rows": "9e9"})
    assert not at.exception
    warnings = " ".join(str(w.value) for w in at.warning)
    assert "why_rows='7'" in warnings and "why_criterion='r2'" in warnings
    assert "why_inter_rows='9e9'" in warnings
    assert "on 1,000 rows" in texts(at)


def test_catalog_without_genre_or_track_names():
    df = make_synthetic_tracks(240, seed=2).drop(columns=["genre", "track_name", "album_name"])
    upload = data.load_upload(df.to_csv(index=False).encode(), "bare.csv")
    assert "genre" not in upload.df or upload.df["genre"].isna().all()
    at = app_test(PAGE, upload=upload)
    assert not at.exception
    assert "no genre labels" in texts(at)
    at.session_state["why_tab"] = "One track"
    at.run()
    assert not at.exception
    assert at.selectbox(key="why_track").value is not None
    assert "Actual valence" in [m.label for m in at.metric]
    at.session_state["why_tab"] = "Recipe"
    at.run()
    at.button(key="why_fit_recipe").click().run()
    assert not at.exception
    assert "Gain kept" in [m.label for m in at.metric]
    assert at.get("download_button")


def _lab_model(df, est, task):
    from core.modelling import features
    from core.modelling.models import TrainedModel

    cols = features.input_columns(df, "audio", task)
    X = features.build_matrix(df, cols, {})
    if task == "genre":
        classes = sorted(df["genre"].unique())
        est.fit(X, pd.Categorical(df["genre"], categories=classes).codes)
        return TrainedModel("xgboost", task, "audio", {}, est, cols, {}, classes)
    est.fit(X, df["valence"].to_numpy(float))
    return TrainedModel("mlp", task, "audio", {"hidden": 8}, est, cols, {})


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lab_models_mlp_sampled_and_classifier_class_choice(tidy_catalog):
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from xgboost import XGBClassifier

    train = tidy_catalog.df.sample(1500, random_state=0)
    mlp = make_pipeline(
        StandardScaler(), MLPRegressor(hidden_layer_sizes=(8,), max_iter=200, random_state=0)
    )
    active = {
        "lab_active_model": _lab_model(train, mlp, "valence"),
        "lab_active_source": tidy_catalog.source_id,
    }
    at = app_test(PAGE, state=active)
    assert not at.exception
    shown = texts(at)
    assert "the model you trained in the Model lab (mlp" in shown
    assert "sampled permutation SHAP on 200 rows" in shown and "background of 50 rows" in shown

    clf = XGBClassifier(n_estimators=10, max_depth=3, n_jobs=1)
    at.session_state["lab_active_model"] = _lab_model(train, clf, "genre")
    at.run()
    assert "default XGBoost model" in texts(at)  # the valence model stays the default
    at.segmented_control(key="why_target").set_value("genre").run()
    at.selectbox(key="why_class").set_value("rock").run()
    assert not at.exception
    assert "log-odds of 'rock'" in texts(at)
    at.session_state["why_tab"] = "Agreement"
    at.run()
    assert not at.exception and "switch to the valence model" in texts(at)


def test_the_explained_track_comes_back_from_a_link(tidy_catalog):
    from core.catalog.explore import track_labels

    labels = track_labels(tidy_catalog.df)
    hits = labels[labels.str.contains("Someone You Loved", regex=False)]
    target = hits.iloc[-1]  # not the first match, which the picker shows by default
    link = {"why_tab": "One track", "why_search": "Someone You Loved", "why_track": target}
    at = app_test(PAGE, 240, query=link)
    assert not at.exception
    assert labels[at.selectbox(key="why_track").value] == target


def test_a_queued_shap_job_says_it_waits_for_a_core(queue_notes):
    # SHAP, interaction values and permutation importance queue on the CPU gate; under a bare
    # spinner the visitor could not tell a queue from slow work (issue 11: a queued job says
    # "waiting behind N")
    upload = data.load_upload(
        make_synthetic_tracks(300, seed=5).to_csv(index=False).encode(), "q.csv"
    )
    at = app_test(PAGE, upload=upload)  # its own default model and SHAP, made in this session
    assert not at.exception
    queue_notes.hold()  # a note lets it go: the running job ends, the queued one starts
    at.segmented_control(key="why_rows").set_value(500).run()
    assert not at.exception and queue_notes.heard == [1]
    assert "on 300 rows" in texts(at) and "Waiting behind" not in texts(at)
    queue_notes.hold()
    at.session_state["why_tab"] = "Interactions"
    at.run()
    assert not at.exception and queue_notes.heard == [1, 1]
    queue_notes.hold()  # the upload's own model: its permutation importance is computed here
    at.session_state["why_tab"] = "Agreement"
    at.run()
    assert not at.exception and queue_notes.heard == [1, 1, 1]
    assert "Waiting behind" not in texts(at) and at.dataframe
