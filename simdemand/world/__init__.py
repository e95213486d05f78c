"""The simulated world: environment, catalog, registry, random streams, ledger and agents."""
