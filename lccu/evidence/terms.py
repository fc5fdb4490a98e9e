"""The closed vocabularies of the case database and the custody chain.

Kept free of imports so that the command line can offer them as choices (``--role``,
``--action``) without loading SQLAlchemy or the signing code at start-up.
"""

from __future__ import annotations

ROLES = ("investigator", "analyst", "operator", "dpo", "admin")
CASE_STATUSES = ("open", "closed")
ITEM_TYPES = ("disk-image", "memory-image", "phone-extraction", "other")
ITEM_STATES = ("registered", "stored", "verified", "hash-mismatch", "returned", "destroyed")

ACTIONS = (
    "acquired",
    "intake",
    "transferred",
    "checked_out",
    "checked_in",
    "seal_broken",
    "resealed",
    "accessed",
    "processed",
    "verified",
    "exported",
    "returned",
    "destroyed",
    "note",
)
#: countersigning role -> the ``details`` field of a hand-over that names that party
COUNTERSIGN_ROLES = {"receiver": "received_by", "witness": "witness",
                     "releaser": "released_by"}
