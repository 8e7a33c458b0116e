"""Stock in step with ShipStation: keyed deltas applied once, and a reconcile that cannot drift.

* :mod:`.adjustments` reads a warehouse's items and names each outcome;
* :mod:`.apply` applies them to a store, each on its own;
* :mod:`.ledger` is stationmaster's side of exactly-once for stores without their own;
* :mod:`.levels`, :mod:`.demand`, :mod:`.plan`, :mod:`.book` and :mod:`.native_book` are the
  parts of a reconcile, and :mod:`.reconcile` puts them together;
* :mod:`.lease`, :mod:`.runs`, :mod:`.schedule` and :mod:`.setup` run it, never twice at
  once, every hour or so, from configuration.

See ``docs/stock.md`` for the whole story.
"""
