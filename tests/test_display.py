"""User text shown inertly in Streamlit markdown; counts and word lists in sentences."""

from lib.display import ZERO_WIDTH_SPACE, count_noun, human_size, join_words, md_code, md_escape


def test_md_escape_makes_markdown_inert():
    hostile = "[x](https://evil.example) <b>b</b> :red[r] $x$ **s** `c`\nnext"
    escaped = md_escape(hostile)
    assert "\n" not in escaped
    for piece in (
        "\\[x\\]\\(https" + ZERO_WIDTH_SPACE + "\\:",
        "\\<b\\>",
        "\\:red\\[r\\]",
        "\\$x\\$",
        "\\*\\*s\\*\\*",
        "\\`c\\`",
    ):
        assert piece in escaped
    # Unescaping gives the original text back: nothing is lost, only neutralised.
    assert escaped.replace("\\", "").replace(ZERO_WIDTH_SPACE, "") == hostile.replace("\n", " ")


def test_md_escape_breaks_bare_links_and_addresses():
    """GFM turns bare URLs into links after resolving escapes; a zero-width space after the scheme stops it."""
    escaped = md_escape("see https://evil.example/f, HTTP://x.y, www.evil.example or me@evil.example")
    shown = escaped.replace("\\", "")
    for live in ("https://", "HTTP://", "www.", "me@evil"):
        assert live not in shown
    assert (
        shown.replace(ZERO_WIDTH_SPACE, "")
        == "see https://evil.example/f, HTTP://x.y, www.evil.example or me@evil.example"
    )


def test_md_code_cannot_break_out():
    assert md_code("a`b`.jsonl") == "`a'b'.jsonl`"
    assert md_code("x" * 100).endswith("…`") and len(md_code("x" * 100)) == 82
    assert md_code("") == "`file`"


def test_human_size_uses_binary_units():
    assert human_size(0) == "0 bytes"
    assert human_size(1536) == "1.5 KB"
    assert human_size(3 * 2**30) == "3.0 GB"


def test_count_noun_agrees_in_number_and_separates_thousands():
    assert count_noun(1, "line") == "1 line"
    assert count_noun(0, "error") == "0 errors"
    assert count_noun(1234, "blank line") == "1,234 blank lines"


def test_join_words_puts_the_conjunction_before_the_last():
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b"]) == "a or b"
    assert join_words(iter(["x", "y", "z"]), "and") == "x, y and z"
