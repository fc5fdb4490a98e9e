"""The file browser end to end in headless Chromium (issue 20): from a processed item's
page, filter the file table (deleted + pictures), open the gallery with those filters,
widen it (thumbnails drawn), open a picture's page and tag it with a note, then from the
case page open the case's gallery, filter it by size and open a picture's large preview,
in Dutch."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from lccu.evidence.lab import Lab
from lccu.testing.browser import chromium, open_page, process_item
from lccu.testing.images import PlantedManifest
from tests.web.helpers import PASSWORD, artifact

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True), pytest.mark.slow]


def test_browser_filters_files_opens_gallery_and_tags(
    server: str, make_lab: Callable[..., Lab], planted_disk: PlantedManifest
) -> None:
    """Deleted pictures are the carved ones; the gallery's thumbnails are decoded by the
    browser; a tag with its note, added on the picture's page, is listed there; the case's
    gallery, filtered by the picture's size, leads to its large preview, which the
    browser decodes at the picture's own 48x48 pixels."""
    from playwright.sync_api import expect

    lab = make_lab("vlas_inv")
    case = lab.create_case("Files in the browser")
    item = lab.add_evidence(case.id, planted_disk.image, description="test disk")
    with chromium() as browser:
        page = open_page(
            browser, f"{server}/evidence/{item.id}/processing", login=("vlas_inv", PASSWORD)
        )
        process_item(page)
        page.get_by_role("link", name="Bestanden bekijken").click()
        expect(page).to_have_url(f"{server}/evidence/{item.id}/files")
        page.get_by_label("Verwijderd").select_option("yes")
        page.get_by_label("Bestandstype").select_option("image/")
        page.get_by_role("button", name="Filteren").click()
        rows = page.locator("#files tbody tr")
        expect(rows.first).to_be_visible()
        for path in rows.evaluate_all("rows => rows.map(r => r.dataset.path)"):
            assert path.startswith("/$carved/"), path
        page.screenshot(path=artifact("20-files-deleted-pictures.png"), full_page=True)

        page.get_by_role("link", name="Fotogalerij").first.click()
        # the gallery keeps the table's filters: the deleted pictures only
        expect(page).to_have_url(re.compile(rf"/evidence/{item.id}/gallery\?.*deleted=yes"))
        expect(page.get_by_label("Verwijderd")).to_have_value("yes")
        tiles = page.locator("#gallery li")
        expect(tiles.first).to_be_visible()
        for path in tiles.evaluate_all("tiles => tiles.map(t => t.dataset.path)"):
            assert path.startswith("/$carved/"), path
        page.get_by_label("Verwijderd").select_option("")
        page.get_by_role("button", name="Filteren").click()
        tile = page.locator('#gallery li[data-path="/dir/picture.png"]')
        image = tile.locator("img")
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        page.screenshot(path=artifact("21-gallery.png"), full_page=True)
        image.click()
        expect(page.locator("#sha256")).to_have_text(
            next(f.sha256 for f in planted_disk.files if f.path == "/dir/picture.png")
        )
        page.get_by_label("Label").fill("relevant")
        page.get_by_label("Notitie").fill("foto van het pakket")
        page.get_by_role("button", name="Markeren").click()
        expect(page.locator("#tag-table")).to_contain_text("foto van het pakket")
        page.screenshot(path=artifact("22-file-tagged.png"), full_page=True)

        page.goto(f"{server}/cases/{case.id}")
        page.get_by_role("link", name="Fotogalerij van het dossier").click()
        expect(page).to_have_url(f"{server}/cases/{case.id}/gallery")
        size = next(f.size for f in planted_disk.files if f.path == "/dir/picture.png")
        page.get_by_label("Grootte vanaf").fill(str(size))
        page.get_by_label("Grootte tot").fill(str(size))
        page.get_by_label("Herkomst").select_option("file")
        page.get_by_role("button", name="Filteren").click()
        tiles = page.locator("#gallery li")
        expect(tiles).to_have_count(1)
        tile = tiles.first
        expect(tile).to_have_attribute("data-path", "/dir/picture.png")
        thumb = tile.locator("img")
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
        )
        page.screenshot(path=artifact("23-case-gallery.png"), full_page=True)
        tile.get_by_role("link", name="Groot voorbeeld").click()
        expect(page).to_have_url(re.compile(r"/evidence/[^/]+/files/\d+#picture$"))
        preview = page.locator("#picture-preview")
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
        )
        assert preview.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [48, 48]
        page.screenshot(path=artifact("24-large-preview.png"), full_page=True)
    assert [(t.path, t.note) for t in lab.tags(item.id)] == [
        ("/dir/picture.png", "foto van het pakket")
    ]
