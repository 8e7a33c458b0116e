"""The test shop's fork of Oscar's order app: Oscar's models, the shop's own EventHandler."""
