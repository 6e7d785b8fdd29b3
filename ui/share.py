"""The "Share this view" button: copies the page's link, which holds every control's value.

Every control that changes what is shown is bound to a query parameter (``bind="query-params"``),
so the browser's address bar always holds the current view; Streamlit drops invalid values when a
link is opened, and nothing private (uploads, trained models, lookup results, credentials) is
ever bound. The button copies that address; the caption says what a link does not carry.
"""

from __future__ import annotations

import streamlit as st

from core.catalog.data import is_upload_id
from ui.catalog import STATE_KEY

#: What a link never carries (it lives in the visitor's session only).
NOT_CARRIED = (
    "uploaded files",
    "models you trained",
    "lookup results",
    "typed credentials",
)

# A constant snippet (no user input): copy the address bar, fall back to a prompt to copy from.
_BUTTON = """
<div class="vl-share">
<button id="vl-share-btn" type="button" title="Copy the link to this view">
Share this view</button>
<span id="vl-share-msg" role="status"></span>
</div>
<style>
.vl-share button { width: 100%; padding: 0.35rem 0.75rem; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.2); background: transparent; color: inherit;
  font: inherit; cursor: pointer; }
.vl-share button:hover { border-color: #ff4b4b; color: #ff4b4b; }
.vl-share span[role=status] { display: block; font-size: 0.8rem; min-height: 1rem; opacity: 0.8; }
</style>
<script>
(function () {
  const btn = document.getElementById("vl-share-btn");
  if (!btn || btn.dataset.ready) return;
  btn.dataset.ready = "1";
  btn.addEventListener("click", async function () {
    const url = window.location.href;
    const msg = document.getElementById("vl-share-msg");
    try {
      await navigator.clipboard.writeText(url);
      msg.textContent = "Link copied.";
    } catch (err) {
      window.prompt("Copy this link:", url);
    }
  });
})();
</script>
"""


def render_share() -> None:
    """The share button and what a link leaves out, at the bottom of the sidebar."""
    with st.sidebar:
        st.html(_BUTTON, unsafe_allow_javascript=True)
        note = (
            "The link reopens this page with the same dataset, filters, tab and chart "
            f"settings. It does not carry {', '.join(NOT_CARRIED[:-1])} or {NOT_CARRIED[-1]}."
        )
        if is_upload_id(st.session_state.get(STATE_KEY, "")):
            note += " You are on an upload, so the link opens the default dataset."
        st.caption(note)
