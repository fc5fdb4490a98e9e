"""The case and its chain of custody as a CASE/UCO JSON-LD graph (ontology.caseontology.org).

Shape, following shared/custody-model.md: an ``Investigation`` holding every custody event as
an ``InvestigativeAction`` (performer, time, location, wasInformedBy the previous action);
each evidence item is a ``uco-observable:File`` with its hashes in a ``ContentDataFacet``;
every action on an item takes the item's latest ``ProvenanceRecord`` and produces the next
one, so the custody chain reads as a provenance chain. The ``@context`` is inline (a remote
one breaks offline validation), every node id ends in a UUID (derived deterministically, so
the same log always gives the same graph), and there are no blank nodes. Seal numbers and
the custody hashes have no CASE property and go in lccu's own namespace.

The investigative question asked is the investigation's ``focus``. Each (not removed) tag
on a file is a ``uco-core:Annotation`` (label as ``tag``, note as ``statement``, who and
when) whose object is the tagged file: a ``uco-observable:File`` with its path, size and
hashes as the processing run found them, ``Contained_Within`` the evidence item.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lccu import __version__
from lccu.evidence.records import CaseInfo, EvidenceInfo
from lccu.evidence.tags import TagInfo
from lccu.outfile import output_file

NAMESPACE = uuid.UUID("6f1c9a3e-2b7d-4e0a-9c51-7d3f8e2a1b40")
CONTEXT = {
    "kb": "http://example.org/kb/",
    "lccu": "https://lccu.example.org/ontology/lccu/",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
HASH_METHODS = (("md5", "MD5"), ("sha1", "SHA1"), ("sha256", "SHA256"))


def node_id(kind: str, *parts: str) -> str:
    """A stable IRI ending in a UUID derived from what the node stands for."""
    return f"kb:{kind}-{uuid.uuid5(NAMESPACE, '|'.join((kind, *parts)))}"


def ref(identifier: str) -> dict[str, str]:
    return {"@id": identifier}


def when(value: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": value}


def _hashes(case_id: str, item: EvidenceInfo) -> list[dict[str, Any]]:
    return [
        {
            "@id": node_id("hash", case_id, item.id, name),
            "@type": "uco-types:Hash",
            "uco-types:hashMethod": method,
            "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": value},
        }
        for name, method in HASH_METHODS
        if (value := getattr(item, name))
    ]


def _item_nodes(case: CaseInfo, item: EvidenceInfo) -> list[dict[str, Any]]:
    facets: list[dict[str, Any]] = [
        {
            "@id": node_id("file-facet", case.id, item.id),
            "@type": "uco-observable:FileFacet",
            "uco-observable:fileName": f"{item.exhibit_number}",
            **({"uco-observable:sizeInBytes": item.size} if item.size is not None else {}),
        }
    ]
    hashes = _hashes(case.id, item)
    if hashes:
        facets.append(
            {
                "@id": node_id("content-data-facet", case.id, item.id),
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:hash": hashes,
            }
        )
    if item.seal_number:
        facets.append(
            {
                "@id": node_id("seal-facet", case.id, item.id),
                "@type": ["uco-core:Facet", "lccu:SealFacet"],
                "lccu:sealNumber": item.seal_number,
            }
        )
    return [
        {
            "@id": node_id("evidence-file", case.id, item.id),
            "@type": "uco-observable:File",
            "uco-core:description": item.description,
            "uco-core:hasFacet": facets,
        }
    ]


def _tag_nodes(case: CaseInfo, tag: TagInfo, person: str) -> list[dict[str, Any]]:
    """The tagged file (once per file), its place in the item, and the annotation."""
    key = (case.id, tag.evidence_id, str(tag.volume), tag.path, str(tag.inode))
    file_id = node_id("tagged-file", *key)
    name = tag.path.rstrip("/").rsplit("/", 1)[-1] or tag.path
    size = tag.file.get("size")
    facets: list[dict[str, Any]] = [{
        "@id": node_id("tagged-file-facet", *key),
        "@type": "uco-observable:FileFacet",
        "uco-observable:fileName": name,
        "uco-observable:filePath": tag.path,
        **({"uco-observable:sizeInBytes": size} if isinstance(size, int) else {}),
    }]
    hashes = [
        {"@id": node_id("tagged-file-hash", *key, kind),
         "@type": "uco-types:Hash", "uco-types:hashMethod": method,
         "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": value}}
        for kind, method in HASH_METHODS if isinstance(value := tag.file.get(kind), str)
    ]
    if hashes:
        facets.append({"@id": node_id("tagged-file-content", *key),
                       "@type": "uco-observable:ContentDataFacet",
                       "uco-observable:hash": hashes})
    annotation: dict[str, Any] = {
        "@id": node_id("tag", case.id, tag.id),
        "@type": "uco-core:Annotation",
        "uco-core:tag": [tag.label],
        "uco-core:statement": tag.note or tag.label,
        "uco-core:object": [ref(file_id)],
        "uco-core:createdBy": ref(person),
        "uco-core:objectCreatedTime": when(tag.created_at),
        "lccu:processingRun": tag.run_id,
    }
    return [
        {"@id": file_id, "@type": "uco-observable:File", "uco-core:hasFacet": facets},
        {"@id": node_id("tagged-file-in", *key),
         "@type": "uco-observable:ObservableRelationship",
         "uco-core:source": [ref(file_id)],
         "uco-core:target": ref(node_id("evidence-file", case.id, tag.evidence_id)),
         "uco-core:kindOfRelationship": "Contained_Within",
         "uco-core:isDirectional": True,
         "lccu:volume": tag.volume,
         **({"lccu:inode": tag.inode} if tag.inode is not None else {})},
        annotation,
    ]


def build_graph(
    case: CaseInfo, items: Sequence[EvidenceInfo], events: Sequence[dict[str, Any]],
    tags: Sequence[TagInfo] = (),
) -> dict[str, Any]:
    graph: list[dict[str, Any]] = []
    actions: list[dict[str, str]] = []
    people: dict[str, str] = {}
    places: dict[str, str] = {}
    by_id = {item.id: item for item in items}
    provenance: dict[str, str] = {}
    investigation: dict[str, Any] = {
        "@id": node_id("investigation", case.id),
        "@type": "case-investigation:Investigation",
        "uco-core:name": case.number,
        "uco-core:description": case.title,
        "case-investigation:investigationStatus": case.status,
        "uco-core:object": actions,
    }
    if case.question:
        investigation["case-investigation:focus"] = case.question
    graph.append(investigation)
    if case.reference:
        auth = node_id("authorization", case.id)
        graph.append(
            {
                "@id": auth,
                "@type": "case-investigation:Authorization",
                "case-investigation:authorizationIdentifier": case.reference,
            }
        )
        investigation["case-investigation:relevantAuthorization"] = ref(auth)
    for item in items:
        graph.extend(_item_nodes(case, item))
    tool = node_id("tool", "lccu", __version__)
    graph.append(
        {
            "@id": tool,
            "@type": "uco-tool:AnalyticTool",
            "uco-core:name": "lccu",
            "uco-tool:version": __version__,
        }
    )
    previous_action: str | None = None
    for event in events:
        actor = f"{event['actor']} ({event['actor_zone']}, {event['actor_role']})"
        if actor not in people:
            people[actor] = node_id("person", event["actor"])
            graph.append(
                {"@id": people[actor], "@type": "uco-identity:Person", "uco-core:name": actor}
            )
        action_id = node_id("action", case.id, str(event["seq"]), event["event_hash"])
        action: dict[str, Any] = {
            "@id": action_id,
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": event["action"],
            "uco-action:startTime": when(event["occurred_at"]),
            "uco-action:performer": ref(people[actor]),
            "uco-action:instrument": ref(tool),
            "lccu:custodySequence": event["seq"],
            "lccu:custodyEventHash": event["event_hash"],
        }
        if event.get("reason"):
            action["uco-core:description"] = event["reason"]
        if event.get("location"):
            place = event["location"]
            if place not in places:
                places[place] = node_id("location", place)
                graph.append(
                    {"@id": places[place], "@type": "uco-location:Location", "uco-core:name": place}
                )
            action["uco-action:location"] = ref(places[place])
        if previous_action:
            action["case-investigation:wasInformedBy"] = ref(previous_action)
        subject = by_id.get(event.get("evidence_id") or "")
        if subject is not None:
            record = node_id("provenance-record", case.id, subject.id, str(event["seq"]))
            exhibit = f"{case.number}/{subject.exhibit_number}"
            graph.append(
                {
                    "@id": record,
                    "@type": "case-investigation:ProvenanceRecord",
                    "case-investigation:exhibitNumber": exhibit,
                    "case-investigation:rootExhibitNumber": exhibit,
                    "uco-core:object": ref(node_id("evidence-file", case.id, subject.id)),
                }
            )
            earlier = provenance.get(subject.id)
            if earlier:
                action["uco-action:object"] = ref(earlier)
            action["uco-action:result"] = [
                ref(record),
                ref(node_id("evidence-file", case.id, subject.id)),
            ]
            provenance[subject.id] = record
        graph.append(action)
        actions.append(ref(action_id))
        previous_action = action_id
    shown = {node["@id"] for node in graph}
    for tag in tags:
        if tag.removed_at is not None or tag.evidence_id not in by_id:
            continue
        person = node_id("person", tag.created_by)
        if person not in shown:
            graph.append({"@id": person, "@type": "uco-identity:Person",
                          "uco-core:name": tag.created_by})
        for node in _tag_nodes(case, tag, person):
            if node["@id"] not in shown:  # a file tagged twice is one File node
                graph.append(node)
        shown = {node["@id"] for node in graph}
    return {"@context": CONTEXT, "@graph": graph}


def write_case_export(
    path: Path, case: CaseInfo, items: Sequence[EvidenceInfo], events: Sequence[dict[str, Any]],
    tags: Sequence[TagInfo] = (),
) -> Path:
    graph = build_graph(case, items, events, tags)
    path.parent.mkdir(parents=True, exist_ok=True)
    with output_file(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(graph, indent=2, ensure_ascii=False))
    return path
