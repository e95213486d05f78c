"""Results: binning the ledger onto the output grid, Arrow tables, and writing them to disk."""
