"""Resolve a command's target: a local image path, or a stored evidence item by id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from lccu.imaging import ImageStream, open_image


@contextmanager
def open_target(ctx: click.Context, target: str, purpose: str = "hash") -> Iterator[
        tuple[ImageStream, str]]:
    """An existing path is opened directly; anything else is looked up as evidence (as the
    acting user, audited, with an ``accessed`` custody event)."""
    if Path(target).exists():
        with open_image(target) as image:
            yield image, target
        return
    lab = ctx.obj.lab()
    with lab.open_evidence_image(target, purpose=purpose) as (image, label):
        yield image, label
