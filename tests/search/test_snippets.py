"""Snippets: the lines of a result's best chunk that hold the question's words."""

from sourcesync.search.snippets import LINE_CHARS, snippet

CODE = '''import time

import httpx

MAX_ATTEMPTS = 5


def send_with_retries(client: httpx.Client, request: httpx.Request) -> httpx.Response:
    """Send, sleeping through 429s for as long as the server asks."""
    for attempt in range(MAX_ATTEMPTS):
        response = client.send(request)
        if response.status_code != 429:
            return response
        time.sleep(float(response.headers.get("Retry-After", 2**attempt)))
    return response
'''


def test_the_window_holds_the_question_s_words_matched_as_the_keyword_index_matches():
    found = snippet(CODE, "where is the retry-after header read", max_lines=4)

    lines = found.text.splitlines()
    assert len(lines) == 4
    assert any("Retry-After" in line for line in lines)
    # Line numbers are the chunk's, so the result can point at them.
    assert CODE.splitlines()[found.first_line].strip() == lines[0].strip()
    assert found.last_line - found.first_line == 3


def test_code_keeps_its_shape_relative_indentation_and_no_leading_blank_lines():
    found = snippet(CODE, "status code of the response", max_lines=3)

    assert found.text.splitlines() == [
        "response = client.send(request)",
        "if response.status_code != 429:",
        "    return response",
    ]


def test_a_match_by_meaning_alone_shows_the_chunk_s_first_lines():
    found = snippet(CODE, "backoff", max_lines=3)

    assert found.first_line == 0
    assert found.text.splitlines() == ["import time", "", "import httpx"]


def test_runs_of_blank_lines_show_as_one():
    found = snippet("a\n\n\n\n\nb\n", "a b", max_lines=6)

    assert found.text == "a\n\nb"
    assert (found.first_line, found.last_line) == (0, 5)


def test_a_long_paragraph_is_wrapped_and_windowed_like_code():
    words = [f"word{n}" for n in range(200)]
    paragraph = " ".join([*words[:150], "elderberry", *words[150:]])

    found = snippet(f"# Notes\n\n{paragraph}\n", "elderberry", max_lines=2)

    assert "elderberry" in found.text
    assert all(len(line) <= LINE_CHARS for line in found.text.splitlines())
    assert found.first_line == found.last_line == 2


def test_an_empty_chunk_gives_an_empty_snippet():
    assert snippet("\n\n  \n", "anything").text == ""
