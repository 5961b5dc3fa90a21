"""Validity harness of the offline rubric scorer (see validation/README.md)."""
