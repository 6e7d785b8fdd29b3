"""Which genres sound alike: projections and clusterings of standardised audio features.

Owns standardised samples, PCA and the disk-cached UMAP layouts (``projection``), and KMeans,
Gaussian mixtures, the genre tree, k-NN genre checks and agreement scores (``clusters``).
"""
