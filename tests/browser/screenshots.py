"""Screenshots for README: `save(page, out, name)` with the `out` fixture (tests/browser/conftest.py),
which is docs/screenshots/ when UPDATE_SCREENSHOTS=1 and a temporary folder otherwise.

Images are reduced to a 256-colour palette to keep the repository small.
"""

import io
from pathlib import Path


def save(page, out: Path, name: str, *, full_page: bool = False) -> None:
    from PIL import Image
    from playwright.sync_api import Error as PlaywrightError

    out.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):
        try:
            png = page.screenshot(full_page=full_page, animations="disabled", caret="initial")
            break
        except PlaywrightError as error:
            # Chromium sometimes fails the capture itself on a loaded machine ("Unable to capture
            # screenshot"); the page's content is asserted elsewhere, the picture is for README.
            if "Unable to capture screenshot" not in str(error) or attempt == 2:
                raise
            page.wait_for_timeout(1000)
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(out / f"{name}.png", optimize=True)
