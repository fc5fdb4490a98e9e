"""Resolve a command's target: a local image path, or a stored evidence item by id."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from lccu.imaging import ImageStream, open_image


@contextmanager
def open_target(
    ctx: click.Context, target: str, purpose: str = "hash", **local_stream: Any
) -> Iterator[tuple[ImageStream, str]]:
    """An existing path is opened directly; anything else is looked up as evidence (as the
    acting user, audited, with an ``accessed`` custody event). A name that exists but cannot
    be followed (a symlink loop or a dangling link) is a path too, so it is refused as one.
    ``local_stream`` options (block_size, cache_blocks, read_ahead) go to
    :class:`ImageStream` for a local path; a stored item keeps the store's."""
    if os.path.lexists(target):
        with open_image(target, **local_stream) as image:
            yield image, target
        return
    lab = ctx.obj.lab()
    with lab.open_evidence_image(target, purpose=purpose) as (image, label):
        yield image, label
