"""The track catalog: where tracks come from and what a clean catalog looks like.

Owns the source registry and downloads (``sources``), the canonical schema and the mapping of
known CSV layouts onto it (``schema``), cleaning with a counted report and the Parquet cache
(``data``), seeded samples of rows (``sampling``), the Explore summaries (``explore``) and the
coarse genre groups (``genre_groups``). Nothing here knows about models or pages.
"""
