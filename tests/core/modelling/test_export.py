import pickle

import pytest
import skops.io as sio

from core.catalog import data
from core.modelling import export
from core.modelling.experiment import RunConfig, run_experiment
from tests.conftest import make_synthetic_tracks


class Sneaky:
    pass


def test_round_trip_and_card():
    df = data.load_upload(make_synthetic_tracks(200, 3).to_csv(index=False).encode(), "s.csv").df
    res = run_experiment(df, RunConfig(task="genre", model_id="rf", params={"n_estimators": 10}))
    loaded = export.load_model(export.dump_model(res.model))
    assert list(loaded.predict(df.head(20))) == list(res.model.predict(df.head(20)))
    card = export.model_card(res.model, {"source": "s"})
    assert card["metrics"]["accuracy"] == res.metrics["accuracy"] and card["source"] == "s"
    md = export.model_card_markdown(card)
    assert md.startswith("# Model card") and "n_estimators" in md


def test_untrusted_files_are_refused():
    with pytest.raises(export.UnsafeModelError):
        export.load_model(pickle.dumps({"a": 1}))
    with pytest.raises(export.UnsafeModelError, match="untrusted"):
        export.load_model(sio.dumps(Sneaky()))
    with pytest.raises(export.UnsafeModelError, match="not a Valence Lab model"):
        export.load_model(sio.dumps({"a": [1, 2]}))
