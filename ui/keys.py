"""Session-state keys: every key that code (not just a widget) reads or writes, in one place.

Keys are prefixed by the page that owns them (``exp_``, ``lab_``, ``look_``, ``why_``,
``map_``); keys read by more than one page say so. Widget keys that only their own widget uses
stay beside the widget.
"""

from __future__ import annotations

# Shared by every page (sidebar)
DATASET = "dataset"  # the dataset selectbox; also the query parameter name
UPLOAD_CATALOG = "upload_catalog"  # the user's uploaded Catalog (session only)
UPLOAD_FILE = "upload_file"  # the sidebar's file uploader
UPLOAD_FILE_ID = "upload_file_id"  # file_id of the upload already read
UPLOAD_ERROR = "upload_error"
UPLOAD_OPEN = "upload_open"  # the "Use your own CSV" expander's open state (kept on reruns)
DATASET_ERROR = "dataset_error"
DATASET_URL_CHECKED = "dataset_url_checked"
DATASET_URL_NOTICE = "dataset_url_notice"

# Model lab; ACTIVE_MODEL and ACTIVE_SOURCE are the hand-off read by the other pages
ACTIVE_MODEL = "lab_active_model"  # the user's latest trained TrainedModel
ACTIVE_SOURCE = "lab_active_source"  # source id of the dataset it was trained on
LAB_JOB = "lab_job"
LAB_LEADERBOARD = "lab_leaderboard"
LAB_RESULT = "lab_result"
LAB_PENDING_PARAMS = "lab_pending_params"
LAB_TUNE_RESULT = "lab_tune_result"
LAB_RESULT_TAB = "lab_result_tab"  # the finished run's open tab (only it is rendered)
LAB_BOARD_TASK = "lab_board_task"  # the leaderboard's task picker
LAB_BOARD_FOR = "lab_board_for"  # the page task the picker last followed

# Explore
EXP_TABLE_PAGE = "exp_table_page"  # the out-of-core table's page (kept across tab visits)

# Track lookup
LOOK_RESULT = "look_result"  # {"resolution", "upload", "label", "source_id"}
LOOK_PROVIDER_STATE = "look_provider_state"
LOOK_TASTE = "look_taste"
LOOK_HITS = "look_hits"  # the latest Spotify search results
LOOK_UPLOAD_PARSED = "look_upload_parsed"  # (file key, parsed IdUpload or None, error or None)
LOOK_CLIENT_ID = "look_client_id"  # typed credentials (password inputs)
LOOK_CLIENT_SECRET = "look_client_secret"
LOOK_PREFER_CATALOG = "look_prefer_catalog"  # toggle: catalog values win over the file's

# Genre map
MAP_COLOR = "map_color"  # "Colour by" (a widget the tree view also reads)

# Why valence?
WHY_RECIPES = "why_recipes"  # fitted recipe reports by dataset
WHY_ROWS = "why_rows"  # rows explained (a widget the agreement tab also reads)

# Clickable heatmap cells (issue 14): the chart, the two cell pickers it drives, and the
# last click applied (so a click changes the pickers once and a later pick is not undone)
LAB_CONFUSION = "lab_confusion"  # the confusion-matrix chart (click a cell)
LAB_CELL_ACTUAL = "lab_cell_actual"  # "Actual genre" picker
LAB_CELL_PRED = "lab_cell_pred"  # "Predicted as" picker
LAB_CELL_SEEN = "lab_cell_seen"  # last click applied and the run's default cell
WHY_INTER_ROWS = "why_inter_rows"  # "Tracks explained" of the Interactions tab (in the link)
WHY_INTER_MATRIX = "why_inter_matrix"  # the interaction-matrix chart (click a cell)
WHY_INTER_A = "why_inter_a"  # "Cell: row" picker
WHY_INTER_B = "why_inter_b"  # "column" picker
WHY_INTER_SEEN = "why_inter_seen"  # last click applied and the matrix's default cell
