"""ui.cache: public results computed once per server, personal ones per session with a cap."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

CALLS: list[str] = []


def _script() -> None:
    import pandas as pd
    import streamlit as st

    import tests.ui.test_cache as here
    from core.catalog.data import Catalog, CleaningReport
    from ui.cache import PERSONAL_MAX_ENTRIES, SESSION_KEY, memo

    def catalog(source_id: str) -> Catalog:
        return Catalog(source_id, source_id, pd.DataFrame(), CleaningReport(), "c0ffee")

    def compute(tag: str) -> str:
        here.CALLS.append(tag)
        return tag

    public, upload = catalog("local:public.csv"), catalog("upload:mine.csv")
    st.write(memo(public, "thing", 1, lambda: compute("public")))
    st.write(memo(upload, "thing", 1, lambda: compute("upload")))
    st.write(memo(public, "thing", 1, lambda: compute("lab"), personal=True))
    if st.query_params.get("fill"):
        for i in range(PERSONAL_MAX_ENTRIES + 5):
            memo(upload, "many", i, lambda i=i: i)
    st.write(f"personal entries {len(st.session_state[SESSION_KEY])}")


def test_public_is_shared_personal_is_per_session_and_capped():
    from ui.cache import PERSONAL_MAX_ENTRIES

    CALLS.clear()
    first = AppTest.from_function(_script)
    first.run()
    first.run()  # a rerun in the same session: nothing recomputed
    second = AppTest.from_function(_script)  # another visitor
    second.query_params["fill"] = "1"
    second.run()
    assert not first.exception and not second.exception
    assert CALLS.count("public") == 1  # shared by both sessions
    assert CALLS.count("upload") == 2 and CALLS.count("lab") == 2  # one per session
    assert f"personal entries {PERSONAL_MAX_ENTRIES}" in [m.value for m in second.markdown]
