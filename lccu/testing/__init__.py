"""Helpers for testing code that uses lccu: temporary labs, image builders, service fixtures.

Shipped in the library (like ``structlog.testing``) so analysts can test their own scripts.
"""
