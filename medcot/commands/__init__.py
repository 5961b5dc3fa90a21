"""CLI verb groups; each module exposes ``register(app)``."""
