"""Mood arc reorders of a 2,000-track playlist (issue 14 target: <= 1 s), and of 5,000 tracks
(the upload cap), drawn from the TidyTuesday catalog. Also the whole click: arc frame, reorder,
Exportify export and ``csv_bytes``."""

from __future__ import annotations

import numpy as np

from bench.common import timed

TIDY = "tidytuesday-spotify-songs"


def run(ctx: dict) -> dict:
    from core.catalog import data
    from core.lookup import moodarc
    from core.safety import csv_bytes

    cat = data.load_catalog(TIDY, allow_download=False)
    sizes = (500, 2000) if ctx.get("quick") else (2000, 5000)
    out: dict = {"target_s_2000": 1.0}
    for n in sizes:
        table = cat.df.sample(n, random_state=n).reset_index(drop=True)
        table["feature_source"] = "catalog"
        table["predicted_valence"] = np.nan
        frame = moodarc.arc_frame(table)
        row: dict = {}
        for arc in moodarc.ARCS:
            seconds, result = timed(lambda a=arc, f=frame: moodarc.reorder(f, a), repeat=3)
            row[arc] = {
                "seconds": round(seconds, 3),
                "mean_step_before": round(result.mean_step_before, 3),
                "mean_step_after": round(result.mean_step_after, 3),
            }

        def click(arc: str = "smooth", table=table) -> bytes:  # noqa: ANN001
            f = moodarc.arc_frame(table)
            r = moodarc.reorder(f, arc)
            return csv_bytes(moodarc.export_frame(f, r.order, table))

        row["smooth_click_with_export_s"] = round(timed(click, repeat=2)[0], 3)
        out[f"tracks_{n}"] = row
    return out
