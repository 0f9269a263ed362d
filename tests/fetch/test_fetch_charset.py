"""Bodies are decoded as declared, else as detected, else as UTF-8; PDFs are not decoded."""

from __future__ import annotations

import codecs

import pytest

from fetch.factories import (
    JASM_LINE,
    NOTE_LINE,
    PAGE_URL,
    SHIFT_JIS_META,
    fetch_one,
    meti_page,
    new_router,
)
from watcher.fetch.charset import codec_for, declared_charset, decode_body, http_charset

SJIS_PAGE = meti_page(meta=SHIFT_JIS_META)
SJIS_BYTES = SJIS_PAGE.encode("cp932")


def fetched(body: bytes, content_type: str | None) -> tuple[str, str | None]:
    router = new_router()
    headers = {"Content-Type": content_type} if content_type else {}
    router.get(PAGE_URL).respond(200, content=body, headers=headers)
    result = fetch_one(router)
    assert result.status == "ok"
    assert result.body == body
    return result.text, result.encoding


def test_shift_jis_declared_in_the_http_header() -> None:
    body = meti_page().encode("cp932")

    text, encoding = fetched(body, "text/html; charset=Shift_JIS")

    assert encoding == "cp932"
    assert JASM_LINE in text
    assert NOTE_LINE in text


def test_shift_jis_declared_only_in_meta() -> None:
    text, encoding = fetched(SJIS_BYTES, "text/html")

    assert encoding == "cp932"
    assert text == SJIS_PAGE


def test_shift_jis_declared_nowhere_is_detected() -> None:
    body = meti_page().encode("cp932")

    text, encoding = fetched(body, "text/html")

    assert encoding == "cp932"
    assert JASM_LINE in text
    assert "4,760" in text


def test_utf8_is_the_default() -> None:
    html = meti_page()

    text, encoding = fetched(html.encode("utf-8"), None)

    assert (text, encoding) == (html, "utf-8")


def test_a_wrong_header_charset_falls_back_to_the_truth() -> None:
    # The server claims UTF-8 but the bytes are Shift_JIS: detection wins.
    text, encoding = fetched(meti_page().encode("cp932"), "text/html; charset=utf-8")

    assert encoding == "cp932"
    assert JASM_LINE in text


def test_the_http_charset_wins_over_meta() -> None:
    html = meti_page(meta=SHIFT_JIS_META)

    text, encoding = fetched(html.encode("utf-8"), "text/html; charset=UTF-8")

    assert (text, encoding) == (html, "utf-8")


def test_an_xml_declaration_is_honoured() -> None:
    xml = '<?xml version="1.0" encoding="EUC-JP"?>\n<rss><item><title>' + JASM_LINE[:40]
    xml += "</title></item></rss>"

    text, encoding = decode_body(xml.encode("euc_jp"), "application/xml")

    assert (text, encoding) == (xml, "euc_jp")


def test_a_byte_order_mark_wins_over_everything() -> None:
    html = "<p>最大助成額 7,320億円</p>"

    assert decode_body(codecs.BOM_UTF8 + html.encode(), "text/html; charset=Shift_JIS") == (
        html,
        "utf-8",
    )
    assert decode_body(html.encode("utf-16"), None) == (html, "utf-16")


def test_a_page_with_one_broken_character_keeps_its_declared_charset() -> None:
    # 0x85 0x40 is an unassigned cp932 code: no charset decodes this page strictly.
    body = SJIS_BYTES.replace(
        "最大助成額".encode("cp932"), b"\x85\x40" + "大助成額".encode("cp932")
    )

    text, encoding = decode_body(body, "text/html")

    assert encoding == "cp932"
    # One character lost (the second byte reads as "@"), not the whole page.
    assert JASM_LINE.replace("最大助成額", "\ufffd@大助成額") in text
    assert NOTE_LINE in text


def test_a_meta_declaring_utf16_is_read_as_utf8() -> None:
    html = '<meta charset="utf-16"><p>認定</p>'

    assert decode_body(html.encode(), None) == (html, "utf-8")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/pdf", b"%PDF-1.7\n..."),
        ("application/pdf; name=r8_yosan.pdf", b"%PDF-1.7\n..."),
        (None, b"%PDF-1.4\n..."),
        ("text/html", b"%PDF-1.4\n..."),
        ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK\x03\x04\x14\x00\x06\x00",
        ),
        ("application/octet-stream", b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
    ],
)
def test_binary_bodies_are_not_decoded(content_type: str | None, body: bytes) -> None:
    assert decode_body(body, content_type) == ("", None)


def test_an_octet_stream_that_is_really_html_is_decoded() -> None:
    assert decode_body("<p>認定</p>".encode(), "application/octet-stream") == (
        "<p>認定</p>",
        "utf-8",
    )


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("Shift_JIS", "cp932"),
        ("shift-jis", "cp932"),
        ("SJIS", "cp932"),
        ("x-sjis", "cp932"),
        ("MS_Kanji", "cp932"),
        ("Windows-31J", "cp932"),
        ("csShiftJIS", "cp932"),
        ("shift_jis_2004", "cp932"),
        ("EUC-JP", "euc_jp"),
        ("x-euc-jp", "euc_jp"),
        ("ISO-2022-JP", "iso2022_jp"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("ISO-8859-1", "iso8859-1"),
        ("x-unknown-charset", None),
    ],
)
def test_charset_labels(label: str, codec: str | None) -> None:
    assert codec_for(label) == codec


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/html; charset=Shift_JIS", "Shift_JIS"),
        ('text/html; charset="euc-jp"', "euc-jp"),
        ("text/html;charset=UTF-8; format=flowed", "UTF-8"),
        ("text/html", None),
        (None, None),
    ],
)
def test_http_charset(content_type: str | None, charset: str | None) -> None:
    assert http_charset(content_type) == charset


@pytest.mark.parametrize(
    ("head", "charset"),
    [
        (b'<meta charset="Shift_JIS">', "Shift_JIS"),
        (b"<META CHARSET=euc-jp>", "euc-jp"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=x-sjis" />', "x-sjis"),
        (b"<?xml version='1.0' encoding='Shift_JIS'?><rss/>", "Shift_JIS"),
        (b"<html><head><title>no declaration</title>", None),
        (b" " * 5000 + b'<meta charset="Shift_JIS">', None),
    ],
)
def test_declarations_in_the_first_4_kb(head: bytes, charset: str | None) -> None:
    assert declared_charset(head) == charset
