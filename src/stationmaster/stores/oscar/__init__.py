"""django-oscar connector: a Django app a shop installs, and the store stationmaster drives.

The shop adds ``"stationmaster.stores.oscar"`` to ``INSTALLED_APPS`` and migrates; the app then
logs every change of an order into a table of its own (see :mod:`.signals`), which is the
change feed the connector (:mod:`.connector`) reads. Nothing here imports Django when the
package is imported, so stationmaster's registry can list the kind and check its settings
without Django installed.
"""
