"""The web interface and REST API of lccu (``lccu serve``).

A thin layer over :class:`lccu.evidence.lab.Lab`: every request acts as the logged-in user
through the library, so access checks, custody and the audit log stay in one place.
"""
