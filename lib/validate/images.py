"""Image parts of user messages: where they may be, what they hold, and what they cost.

An image is an ``image_url`` part of a user message: an http(s) URL (not fetched) or a base64 data
URI, whose header gives the format and size. JPEG, PNG and WEBP are accepted; OpenAI skips other
images. Tokens: 85 at ``detail: "low"``, else the GPT-4o tile estimate (:mod:`lib.validate_tokens`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lib.validate.codes import IMAGE_DETAILS
from lib.validate.messages import quote
from lib.validate_tokens import ACCEPTED_IMAGE_TYPES, image_tokens, parse_data_uri, sniff_image

if TYPE_CHECKING:  # pragma: no cover
    from lib.validate.scanner import Example


class ImageChecks:
    """The image checks of :class:`lib.validate.scanner.Scanner` (a mixin)."""

    def _image_part(self, part: dict, role: str, where: str, ex: Example, count: bool) -> None:
        ln, out = ex.ln, ex.findings
        if role != "user":
            self._add(ln, "invalid_image", f"{where} is an image; only user messages may contain images", out)
            return
        ex.images += 1
        spec = part.get("image_url")
        url = spec.get("url") if type(spec) is dict else spec if type(spec) is str else None
        detail = spec.get("detail", "auto") if type(spec) is dict else "auto"
        if type(url) is not str or not url:
            self._add(ln, "invalid_image", f'{where} has no "image_url.url"', out)
            return
        if detail not in IMAGE_DETAILS:
            self._add(ln, "invalid_image", f"{where} has detail {quote(detail)}; expected low, high or auto", out)
            detail = "auto"
        size = None
        if url.startswith("data:"):
            parsed = parse_data_uri(url)
            if parsed is None:
                self._add(
                    ln, "invalid_image",
                    f"{where} is a data URI that is not a base64 image (expected data:image/png;base64,...)", out,
                )  # fmt: skip
                return
            subtype, n_bytes, head = parsed
            sniffed, size = sniff_image(head)
            if subtype not in ACCEPTED_IMAGE_TYPES:
                self._add(
                    ln, "image_skipped",
                    f"{where} is image/{subtype}; OpenAI accepts JPEG, PNG and WEBP and skips other images", out,
                )  # fmt: skip
            elif sniffed is None or sniffed != ACCEPTED_IMAGE_TYPES[subtype]:
                self._add(
                    ln, "image_skipped",
                    f"{where} says image/{subtype} but its bytes are "
                    f"{'not a recognised image' if sniffed is None else sniffed}; OpenAI skips invalid images",
                    out,
                )  # fmt: skip
            if self.max_image_bytes and n_bytes > self.max_image_bytes:
                self._add(
                    ln, "image_skipped",
                    f"{where} is {n_bytes / 1e6:.1f} MB, over the {self.max_image_bytes / 1e6:.0f} MB image "
                    "limit; OpenAI skips it",
                    out,
                )  # fmt: skip
        elif not url.startswith(("https://", "http://")):
            self._add(ln, "invalid_image", f"{where} url is neither an http(s) URL nor a data URI", out)
            return
        if count:
            ex.const += image_tokens(detail, size)

    def _check_images(self, ex: Example) -> None:
        if self.max_images and ex.images > self.max_images:
            self._add(
                ex.ln, "invalid_image",
                f"the example has {ex.images} images; at most {self.max_images} are allowed per example",
                ex.findings,
            )  # fmt: skip
