"""The page registry and the layout rule that keeps routing and deep links working."""

from ui.registry import PAGES, ROOT, registered_pages


def test_no_legacy_pages_folder():
    # A pages/ folder beside app.py switches Streamlit into legacy multipage routing.
    assert not (ROOT / "pages").exists()


def test_url_paths_unique_and_all_pages_registered():
    assert len({p.url_path for p in PAGES}) == len(PAGES)
    assert [p.title for p in registered_pages()] == [p.title for p in PAGES]
