"""Resolve a command's target: a local image path, or a stored evidence item by id."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click

from lccu.imaging import ImageStream, open_image


@contextmanager
def open_target(
    ctx: click.Context, target: str, purpose: str = "hash"
) -> Iterator[tuple[ImageStream, str]]:
    """An existing path is opened directly; anything else is looked up as evidence (as the
    acting user, audited, with an ``accessed`` custody event). A name that exists but cannot
    be followed (a symlink loop or a dangling link) is a path too, so it is refused as one."""
    if os.path.lexists(target):
        with open_image(target) as image:
            yield image, target
        return
    lab = ctx.obj.lab()
    with lab.open_evidence_image(target, purpose=purpose) as (image, label):
        yield image, label
