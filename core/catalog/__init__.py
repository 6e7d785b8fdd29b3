"""The track catalog: source registry and downloads, schema mapping, cleaning with a counted report, the Parquet cache, and the Explore summaries computed from a catalog."""
