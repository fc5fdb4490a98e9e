"""The unit's hash sets through the library: importing and removing them is the unit
admin's (role ``admin``, see :mod:`lccu.evidence.gate`) and audited;
every user may list and read them (they are reference data, not case contents)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lccu.errors import AccessDenied
from lccu.evidence.gate import UNIT_ADMIN_ROLES, ZONE_ADMIN_ROLES, article
from lccu.evidence.lab_base import BOOTSTRAP, LabBase
from lccu.hashsets.store import HashSetInfo, HashSetStore

#: who reads the register of every set version (the web's hash set page): the unit admin,
#: who manages the sets, and operators, whose workers look files up in them
REGISTER_ROLES = UNIT_ADMIN_ROLES | ZONE_ADMIN_ROLES


class LabHashSets(LabBase):
    """``lab.hashset_*``: import, list, show, remove, register."""

    @property
    def hashsets(self) -> HashSetStore:
        """The store (no access checks: for the processing stages, which look up the set
        versions a run was submitted with)."""
        return HashSetStore(self.db.engine)

    def _require_hashset_admin(self, operation: str) -> None:
        if self.actor is BOOTSTRAP:
            raise AccessDenied("hash sets are managed by a unit administrator: pass --as USER")
        if self.actor.role not in UNIT_ADMIN_ROLES:
            raise self._deny(
                operation,
                "hash sets are managed by the unit admin (role admin), not "
                f"{article(self.actor.role)}",
                object_type="hashset",
            )

    def _require_reader(self) -> None:
        if self.actor is BOOTSTRAP:
            raise AccessDenied("pass --as USER to read the unit's hash sets")

    def hashset_import(
        self,
        name: str,
        path: Path,
        *,
        kind: str,
        fmt: str = "auto",
        description: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> HashSetInfo:
        """Import ``path`` as a new version of the set ``name`` (the previous versions stay
        until removed; new runs use the newest)."""
        self._require_hashset_admin("hashset.import")
        info = self.hashsets.import_file(
            name,
            path,
            kind=kind,
            fmt=fmt,
            description=description,
            imported_by=self.actor.username,
            progress=progress,
        )
        self._allow(
            "hashset.import",
            object_type="hashset",
            object_id=info.name[:64],
            detail={
                "version": info.version,
                "kind": info.kind,
                "format": info.format,
                "source": info.source,
                "source_sha256": info.source_sha256,
                "entries": info.entries,
                "malformed": info.malformed,
            },
        )
        return info

    def hashset_list(self, *, all_versions: bool = False) -> list[HashSetInfo]:
        """The active sets (newest ready version of each name), or every version."""
        self._require_reader()
        versions = self.hashsets.versions()
        return versions if all_versions else [v for v in versions if v.active]

    def hashset_register(self) -> list[HashSetInfo]:
        """Every version of every set, with who imported it and when: the page of the
        people who manage the sets and run the workers that use them (:data:`REGISTER_ROLES`),
        audited as ``hashset.list``, a refusal too."""
        if self.actor is BOOTSTRAP or self.actor.role not in REGISTER_ROLES:
            raise self._deny(
                "hashset.list",
                "the register of hash sets is for the unit admin and operators, not "
                f"{article(self.actor.role)}",
                object_type="hashset",
            )
        versions = self.hashsets.versions()
        self._allow("hashset.list", object_type="hashset", detail={"versions": len(versions)})
        return versions

    def hashset_show(self, name: str, version: int | None = None) -> HashSetInfo:
        """One set: its newest ready version, or ``version``."""
        self._require_reader()
        return self.hashsets.get(name, version)

    def hashset_versions(self, name: str) -> list[HashSetInfo]:
        """Every version of the set ``name``."""
        self._require_reader()
        return self.hashsets.versions(name)

    def hashset_remove(self, name: str, version: int | None = None) -> list[HashSetInfo]:
        """Remove one version of a set, or all its versions."""
        self._require_hashset_admin("hashset.remove")
        removed = self.hashsets.remove(name, version)
        self._allow(
            "hashset.remove",
            object_type="hashset",
            object_id=removed[0].name[:64],
            detail={
                "versions": [r.version for r in removed],
                "entries": sum(r.entries for r in removed),
            },
        )
        return removed
