"""Which genres sound alike: standardised matrices, PCA and UMAP layouts, KMeans, GMM, the genre tree and k-NN agreement with genre."""
