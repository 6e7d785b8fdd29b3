"""A user's own tracks: id parsing, the Spotify and ReccoBeats clients with their rate limits, id uploads, resolution to features, the results shown about them and the taste model."""
