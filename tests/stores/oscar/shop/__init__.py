"""A minimal django-oscar shop for the connector's tests (settings and a forked order app)."""
