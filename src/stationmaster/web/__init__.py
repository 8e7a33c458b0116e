"""The web face of stationmaster: one FastAPI app built from small routers.

Each router takes what it needs explicitly (an engine, stores, a token) and nothing global:
``web.ingest`` (the native store's JSON API), ``web.status`` (JSON status and health),
``web.dashboard`` (the operator's dashboard), ``web.customstore`` and ``web.webhooks`` (what
ShipStation calls), with ``web.auth`` guarding the JSON API by bearer token.
"""
