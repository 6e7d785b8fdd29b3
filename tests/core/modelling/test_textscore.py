"""core.modelling.textscore: the stacked TF-IDF ridge score of track title and album name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.modelling import splits, textscore


def _rows(n_artists: int, per: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Titles and albums carrying an artist token; the artist index of each row."""
    artist = np.repeat(np.arange(n_artists), per)
    rows = pd.DataFrame(
        {
            "track_name": [f"tok{a}x song {i}" for i, a in enumerate(artist)],
            "album_name": [f"album{a}z" for a in artist],
            "primary_artist": [f"artist {a}" for a in artist],
        }
    )
    return rows, artist


def test_texts_join_title_and_album_lower_cased_with_blanks_for_missing():
    df = pd.DataFrame({"track_name": ["Hello World", None], "album_name": ["ALBUM", "Only Album"]})
    assert textscore.texts(df) == ["hello world | album", " | only album"]
    assert textscore.texts(df[["track_name"]]) == ["hello world | ", " | "]
    assert textscore.texts(pd.DataFrame(index=range(2))) == [" | ", " | "]


def test_text_score_is_out_of_fold_by_artist():
    """A token shared by an artist's titles predicts its label in-sample but not out of fold."""
    rng = np.random.default_rng(0)
    n_artists, per = 60, 6
    rows, artist = _rows(n_artists, per)
    level = rng.uniform(0, 1, n_artists)
    y = level[artist] + rng.normal(0, 0.01, len(artist))
    oof, model = textscore.fit_text_score(rows, y, True, seed=0)
    in_sample = textscore.text_scores(model, rows, 1)[:, 0]
    assert np.corrcoef(in_sample, y)[0, 1] > 0.9  # the tokens do carry the label
    assert abs(np.corrcoef(oof[:, 0], y)[0, 1]) < 0.35  # but no row saw its artist's label
    groups = splits.artist_groups(rows)
    assert len(set(groups)) == n_artists


def test_regression_scores_every_row_once_and_repeats_with_the_seed():
    rng = np.random.default_rng(1)
    rows, artist = _rows(4, 10)  # 4 artists: inner folds capped at 4
    y = rng.uniform(0, 1, len(rows))
    oof, model = textscore.fit_text_score(rows, y, True, seed=3)
    assert oof.shape == (40, 1) and np.isfinite(oof).all()
    again, _ = textscore.fit_text_score(rows, y, True, seed=3)
    np.testing.assert_array_equal(oof, again)
    scores = textscore.text_scores(model, rows.head(5), 1)
    assert scores.shape == (5, 1)
    assert list(model.named_steps) == ["tfidf", "ridge"]


def test_one_artist_gives_no_out_of_fold_scores_but_a_fitted_model():
    rows, _ = _rows(1, 12)
    y = np.linspace(0, 1, 12)
    oof, model = textscore.fit_text_score(rows, y, True)
    assert oof.shape == (12, 1) and np.isnan(oof).all()
    assert np.isfinite(textscore.text_scores(model, rows, 1)).all()


def test_classifier_gives_one_score_per_class_and_zero_for_unseen_classes():
    rows, artist = _rows(12, 5)
    y = np.where(artist % 2 == 0, 0, 2)  # class 1 of 3 never appears
    oof, model = textscore.fit_text_score(rows, y, False, seed=0, n_classes=3)
    assert oof.shape == (60, 3) and np.isfinite(oof).all()
    assert (oof[:, 1] == 0).all()
    np.testing.assert_allclose(oof[:, 0], -oof[:, 2])  # two classes: one margin, both signs
    scores = textscore.text_scores(model, rows, 3)
    assert (scores[:, 1] == 0).all()
    # In sample the artist tokens separate the classes: the right class scores highest.
    assert (scores.argmax(axis=1) == y).mean() > 0.9


def test_multiclass_scores_pick_the_class_of_known_tokens():
    rows, artist = _rows(15, 4)
    y = artist % 3
    _, model = textscore.fit_text_score(rows, y, False, seed=0, n_classes=3)
    scores = textscore.text_scores(model, rows, 3)
    assert scores.shape == (60, 3)
    assert (scores.argmax(axis=1) == y).mean() > 0.9


def test_folds_whose_training_rows_have_one_class_stay_unscored():
    rows, artist = _rows(2, 10)  # two artists, one class each: each inner fold sees one class
    y = artist.copy()
    oof, model = textscore.fit_text_score(rows, y, False, n_classes=2)
    assert np.isnan(oof).all()
    assert textscore.text_scores(model, rows, 2).shape == (20, 2)


def test_scoring_no_rows_gives_an_empty_matrix():
    rows, artist = _rows(4, 5)
    _, model = textscore.fit_text_score(rows, artist / 4.0, True)
    empty = textscore.text_scores(model, rows.head(0), 1)
    assert empty.shape == (0, 1)


def test_texts_too_few_to_build_a_vocabulary_raise():
    rows = pd.DataFrame({"track_name": ["a", "b"], "album_name": ["c", "d"]})
    with pytest.raises(ValueError, match="empty vocabulary"):
        textscore.fit_text_score(rows, np.array([0.1, 0.2]), True)
