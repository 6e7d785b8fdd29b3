"""A user's own tracks: from pasted ids or an upload to features, predictions and a taste model.

Owns id parsing (``trackids``), the Spotify and ReccoBeats clients (``spotify``,
``reccobeats``) with their shared 429 handling and result type (``ratelimit``), id uploads
(``idupload``), resolution to features with their sources (``resolve``), what is shown about the
resolved tracks (``results``) and the taste model (``taste``).
"""
