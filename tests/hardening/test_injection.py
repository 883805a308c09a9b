"""Injection: dataset text, file names and what the API echoes of them render inert and readable.

One hostile dataset (HTML, ``<script>``, event handlers, markdown links and
images, Streamlit directives, an iframe, words thousands of characters long)
under a hostile file name goes through every place that shows user text: the
Dataset page's file name, example viewer, findings and raw line; the home
page's summary; Launch's file name and the problems that block a launch; and on
Jobs a job that failed on that file (its error sentence quotes the file), with
hostile metadata and file name. After each, in the real browser:

- nothing ran: a payload sets ``window.__pwned``, which must stay unset;
- nothing became live: no link, image or frame from the dataset text in the DOM;
- it is readable: the payload's text is shown as written (invisible zero-width
  spaces aside, which keep bare URLs from becoming links);
- long words wrap: no horizontal overflow of the page or of the element.
"""

from __future__ import annotations

import json

import openai
import pytest
from playwright.sync_api import expect

from lib.display import ZERO_WIDTH_SPACE
from tests.browser import assert_no_exception, connect_custom, go_to, wait_for_app_run
from tests.hardening import figures

pytestmark = pytest.mark.e2e

MINI = "gpt-4o-mini-2024-07-18"
SCRIPT = "<script>window.__pwned = 'script'</script>"
HANDLER = "<img src=x onerror=\"window.__pwned = 'onerror'\">"
LINK = "[click me](https://evil.example/link)"
IMAGE = "![pixel](https://evil.example/pixel.png)"
ANCHOR = '<a href="https://evil.example/a">anchor</a>'
FRAME = "<iframe src='https://evil.example/frame'></iframe>"
DIRECTIVE = ":red[red text] $x^2$ **bold**"
LONG_WORD = "Supercalifragilistic" * 150  # 3,000 characters, no space to break at
LONG_URL = "https://example.com/" + "a" * 600
ROLE_LINK = "[x](https://evil.example/r)"  # quoted back by the validator's finding (and the job's error)
ROLE_HANDLER = "<img src=x onerror=window.__pwned=7>"
FILE_NAME = "evil <img src=x onerror=window.__pwned=6> [f](https://evil.example/f) :red[n].jsonl"


def hostile_dataset() -> bytes:
    def chat(user: str, answer: str = "Noted.", system: str = "You answer briefly.") -> dict:
        return {
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
                {"role": "assistant", "content": answer},
            ]
        }

    lines = [
        chat(
            f"{SCRIPT} {HANDLER} {LINK} {IMAGE} {ANCHOR} {DIRECTIVE} {LONG_WORD}",
            f"ok {FRAME} {LONG_URL}",
            system="You are <b>bold</b> and <style>h1 {color: red}</style>",
        ),
        {"messages": [{"role": ROLE_LINK, "content": "hi"}, {"role": "assistant", "content": "hello"}]},
        {"messages": [{"role": ROLE_HANDLER, "content": "hi"}, {"role": "assistant", "content": "hello"}]},
    ]
    lines += [chat(f"Question {i}: open {LONG_URL}?", f"Answer {i}.") for i in range(12)]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


INERT = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return {
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    live: Array.from(document.querySelectorAll(
      'a[href*="evil.example"], img[src*="evil.example"], img[src="x"], iframe, [style*="color: red"]'),
      el => el.outerHTML.slice(0, 200)),
    scripts: Array.from(document.scripts).filter(s => s.text.includes('__pwned')).length,
    overflow: Math.max(document.documentElement.scrollWidth - window.innerWidth,
                       main ? main.scrollWidth - main.clientWidth : 0),
    redHeadings: Array.from(document.querySelectorAll('h1')).filter(
      h => getComputedStyle(h).color === 'rgb(255, 0, 0)').length,
  };
}"""


def assert_inert(page, *readable: str, within=None) -> None:
    """Nothing ran or went live, the page does not scroll sideways, and each text shows as written."""
    wait_for_app_run(page)
    assert_no_exception(page)
    state = page.evaluate(INERT)
    assert state["pwned"] is None, f"a payload ran: {state['pwned']}"
    assert state["live"] == [] and state["scripts"] == 0 and state["redHeadings"] == 0, state
    assert state["overflow"] <= 1, f"the page scrolls sideways by {state['overflow']} px"
    text = (within or page.locator("[data-testid='stMain']")).inner_text().replace(ZERO_WIDTH_SPACE, "")
    for piece in readable:
        assert piece in text, f"{piece[:60]!r} is not shown as written"


def widest_overflow(page, test_id: str) -> int:
    return page.evaluate(f"""() => Math.max(0, ...Array.from(
        document.querySelectorAll('[data-testid="{test_id}"]'), el => el.scrollWidth - el.clientWidth))""")


@pytest.fixture
def hostile_file(tmp_path):
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(hostile_dataset())
    return path


def upload_as(page, path, name: str, nth: int = 0) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").nth(nth).click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "application/jsonl", "buffer": path.read_bytes()}])
    wait_for_app_run(page)


def test_hostile_text_is_inert_and_readable_everywhere(page, app_url, simulator, hostile_file):
    key = "sk-hardening-injection-0123456789"
    sdk = openai.OpenAI(api_key=key, base_url=simulator.base_url, max_retries=0)
    page.set_viewport_size({"width": 1400, "height": 1400})
    connect_custom(page, app_url, simulator.base_url, key, "Dataset")

    with figures.case("injection", "Dataset: file name"):
        upload_as(page, hostile_file, FILE_NAME)
        expect(page.get_by_test_id("stAlert").first).to_contain_text("Fix", timeout=30_000)
        assert_inert(page, FILE_NAME)

    with figures.case("injection", "Dataset: example viewer"):
        expect(page.get_by_test_id("stChatMessage")).to_have_count(3)
        assert_inert(page, SCRIPT, HANDLER, LINK, IMAGE, ANCHOR, DIRECTIVE, FRAME, "<style>h1 {color: red}</style>")
        assert widest_overflow(page, "stChatMessage") <= 1, "a long word does not wrap in its bubble"

    with figures.case("injection", "Dataset: findings and raw line"):
        box = page.get_by_role("spinbutton", name="Line")
        box.fill("2")
        box.press("Enter")
        wait_for_app_run(page)
        assert_inert(page, ROLE_LINK)
        page.get_by_text("Raw line").click()
        wait_for_app_run(page)
        assert_inert(page, f'"role": "{ROLE_LINK}"')
        assert widest_overflow(page, "stCode") <= 1

    with figures.case("injection", "Home: the handed-over file's name"):
        page.get_by_role("button", name="Use for launch").click()
        wait_for_app_run(page)
        expect(page.get_by_role("link", name="Continue to Launch")).to_be_visible()
        assert_inert(page)
        go_to(page, "Home")
        assert_inert(page, FILE_NAME.removesuffix(".jsonl"))

    with figures.case("injection", "Launch: file names and the problems that block it"):
        go_to(page, "Launch")
        assert_inert(page, FILE_NAME.removesuffix(".jsonl"))
        page.get_by_text("Upload a file", exact=True).first.click()
        wait_for_app_run(page)
        upload_as(page, hostile_file, FILE_NAME)
        expect(page.get_by_text("block the launch")).to_be_visible(timeout=30_000)
        assert_inert(page, ROLE_LINK, ROLE_HANDLER)

    with figures.case("injection", "Jobs: a failed job's error, metadata and file name"):
        training = sdk.files.create(file=(FILE_NAME, hostile_file.read_bytes()), purpose="fine-tune")
        job = sdk.fine_tuning.jobs.create(
            model=MINI,
            training_file=training.id,
            suffix="injection",
            metadata={"note": SCRIPT, "link": LINK, "image": IMAGE, "word": LONG_WORD[:500]},
        )
        go_to(page, "Jobs")
        expect(page.get_by_role("heading", name=job.id)).to_be_visible()
        expect(page.get_by_test_id("stAlert").filter(has_text="The job failed").first).to_be_visible(timeout=30_000)
        assert_inert(page, ROLE_LINK, SCRIPT, LINK, IMAGE)
        assert widest_overflow(page, "stJson") <= 1

    with figures.case("injection", "the whole visit"):
        assert page.evaluate("window.__pwned === undefined")
