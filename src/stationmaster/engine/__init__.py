"""Running the sync: one owner per API key (leases), passes on demand, and the worker loop."""
