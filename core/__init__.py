"""Pure-Python core of Valence Lab: data, models, explanations, clusters, Spotify clients."""
