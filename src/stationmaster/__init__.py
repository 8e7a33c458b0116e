"""stationmaster: keeps a store's orders, tracking and stock in step with ShipStation."""
