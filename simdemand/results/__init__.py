"""Results: tables of what the world recorded, the manifest, the writer and the one reader."""
