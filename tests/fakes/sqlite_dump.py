"""The 8M-track SQLite dump's tables and columns as published, for tests that build a tiny one."""

DUMP_SCHEMA = """
CREATE TABLE tracks (id TEXT, disc_number INT, duration INT, explicit INT,
  audio_feature_id TEXT, name TEXT, preview_url TEXT, track_number INT,
  popularity INT, is_playable INT);
CREATE TABLE audio_features (id TEXT, acousticness REAL, analysis_url TEXT,
  danceability REAL, duration INT, energy REAL, instrumentalness REAL, key INT,
  liveness REAL, loudness REAL, mode INT, speechiness REAL, tempo REAL,
  time_signature INT, valence REAL);
CREATE TABLE artists (name TEXT, id TEXT, popularity INT, followers INT);
CREATE TABLE r_track_artist (track_id TEXT, artist_id TEXT);
"""
ALBUM_SCHEMA = """
CREATE TABLE albums (id TEXT, name TEXT, album_group TEXT, album_type TEXT,
  release_date, popularity INT);
CREATE TABLE r_albums_tracks (album_id TEXT, track_id TEXT);
"""
GENRE_SCHEMA = "CREATE TABLE r_artist_genre (genre_id TEXT, artist_id TEXT);"
