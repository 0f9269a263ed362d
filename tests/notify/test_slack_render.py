"""Slack messages as people read them: one line that says what changed, amounts in both forms,
links to the page and to the change, page text that cannot mention or link anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notify.factories import CLOUD, IPA_NEWS, LINKS, PLANS, T0, stored
from watcher.changes import ChangeKind
from watcher.notify.render import (
    MAX_ITEMS,
    count_phrase,
    escape,
    link,
    render_changes,
    render_health,
)
from watcher.store.outbox import HealthAlert

MICRON = "マイクロンメモリジャパン株式会社 — 広島県東広島市(広島工場):先端DRAM(HBM)"
PLANS_LINK = f"<{PLANS['url']}|{PLANS['name']}>"


def test_one_amount_change_is_one_message_with_both_amount_forms_the_delta_and_both_links() -> None:
    change = stored(12, kind=ChangeKind.AMOUNT_CHANGED, entity=MICRON,
                    amount_yen=500_000_000_000, previous_amount_yen=167_000_000_000,
                    summary=f"{MICRON}: 最大助成額 1,670億円 → 5,000億円")

    message = render_changes([change], links=LINKS)

    assert message.payload() == {
        "text": f"{PLANS['name']}: amount changed — {MICRON}: 1,670億円 (¥167.0 billion) → "
                "5,000億円 (¥500.0 billion), +3,330億円 (+¥333.0 billion)",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Amount changed* · {PLANS_LINK}"}},
            {"type": "section", "text": {"type": "mrkdwn", "text":
                f"*{MICRON}* · <https://watcher.example.jp/changes/12|#12>\n"
                "1,670億円 (¥167.0 billion) → 5,000億円 (¥500.0 billion), +3,330億円 (+¥333.0 billion)"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
                f"<{PLANS['url']}|Source page> · "
                "<https://watcher.example.jp/changes/12|Change #12 in subsidy-watcher> · "
                "detected 2025-11-21 09:00 JST"}]},
        ],
    }


def test_a_cut_amount_shows_a_negative_delta() -> None:
    change = stored(3, kind=ChangeKind.AMOUNT_CHANGED, entity="キオクシア株式会社",
                    amount_yen=92_930_000_000, previous_amount_yen=150_000_000_000)

    section = render_changes([change], links=LINKS).blocks[1]["text"]["text"]

    assert "1,500億円 (¥150.0 billion) → 929.3億円 (¥92.93 billion), −570.7億円 (−¥57.07 billion)" in section


def test_a_new_approval_shows_its_amount_and_not_the_summary_again() -> None:
    change = stored(5, kind=ChangeKind.ENTRY_ADDED, entity="Japan Advanced Semiconductor Manufacturing株式会社",
                    amount_yen=732_000_000_000, summary="New: Japan Advanced … 7,320億円")

    message = render_changes([change], links=LINKS)

    assert message.blocks[1]["text"]["text"] == (
        "*Japan Advanced Semiconductor Manufacturing株式会社* · "
        "<https://watcher.example.jp/changes/5|#5>\n7,320億円 (¥732.0 billion)")
    assert message.text.startswith(f"{PLANS['name']}: new approval — Japan Advanced")


def test_a_news_item_links_to_the_release() -> None:
    url = "https://www.meti.go.jp/press/2025/11/20251121003/20251121003.html"
    change = stored(9, kind=ChangeKind.LINK_ADDED, entity="Rapidus株式会社への出資(1,000億円)について",
                    url=url, source=IPA_NEWS, summary="New: …")

    message = render_changes([change], links=LINKS)

    assert message.blocks[0]["text"]["text"] == f"*New link* · <{IPA_NEWS['url']}|{IPA_NEWS['name']}>"
    assert message.blocks[1]["text"]["text"].endswith(
        f"\n<{url}|Rapidus株式会社への出資(1,000億円)について>")


def test_changes_from_one_check_are_one_message_listing_them() -> None:
    names = ["さくらインターネット株式会社", "KDDI株式会社", "株式会社ハイレゾ・株式会社ハイレゾ香川（共同申請）",
             "株式会社RUTILEA・AI福島株式会社（共同申請）", "GMOインターネットグループ株式会社"]
    amounts = [50_100_000_000, 10_240_000_000, 7_700_000_000, 2_560_000_000, 1_930_000_000]
    changes = [stored(20 + i, kind=ChangeKind.ENTRY_ADDED, entity=n, amount_yen=a, source=CLOUD)
               for i, (n, a) in enumerate(zip(names, amounts, strict=True))]

    message = render_changes(changes, links=LINKS)

    assert message.text == f"{CLOUD['name']}: 5 changes (5 new approvals)"
    assert message.blocks[0]["text"]["text"] == (
        f"*5 changes* · <{CLOUD['url']}|{CLOUD['name']}>\n5 new approvals")
    items = [b["text"]["text"] for b in message.blocks[1:-1]]
    assert items[1] == ("*New approval* · KDDI株式会社 · <https://watcher.example.jp/changes/21|#21>\n"
                        "102.4億円 (¥10.24 billion)")
    assert len(items) == 5


def test_a_huge_batch_is_truncated_with_and_n_more_within_slack_limits() -> None:
    changes = [stored(100 + i, kind=ChangeKind.ENTRY_ADDED, entity=f"事業者{i:03d}" + "あ" * 400,
                      amount_yen=(i + 1) * 100_000_000, summary="&" * 2000)
               for i in range(MAX_ITEMS + 7)]

    message = render_changes(changes, links=LINKS)

    assert len(message.blocks) == 1 + MAX_ITEMS + 1 + 1 <= 50
    assert message.blocks[-2]["text"]["text"] == (
        "…and 7 more: <https://watcher.example.jp/changes?source=meti-semiconductor-plans|all changes>")
    assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks if b["type"] == "section")
    assert "事業者019" in message.blocks[MAX_ITEMS]["text"]["text"]
    assert "事業者020" not in str(message.payload())


def test_page_text_cannot_mention_anyone_or_hide_a_link() -> None:
    hostile = "<!channel> 緊急 <https://evil.example/login|経済産業省ログイン> & <@U024BE7LH>"
    change = stored(7, kind=ChangeKind.ENTRY_CHANGED, entity=hostile, summary=f"Changed: {hostile}")

    message = render_changes([change], links=LINKS)

    rendered = str(message.payload())
    assert "<!channel>" not in rendered
    assert "<@U024BE7LH>" not in rendered
    assert "<https://evil.example" not in rendered
    assert "&lt;!channel&gt; 緊急 &lt;https://evil.example/login|経済産業省ログイン&gt; &amp; &lt;@U024BE7LH&gt;" in rendered
    assert message.text.count("&lt;!channel&gt;") == 1


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.meti.go.jp/a.pdf", "<https://www.meti.go.jp/a.pdf|資料>"),
    ("https://www.meti.go.jp/a?x=1&y=2", "<https://www.meti.go.jp/a?x=1&amp;y=2|資料>"),
    ("https://www.meti.go.jp/a|b>c", "<https://www.meti.go.jp/a%7Cb&gt;c|資料>"),
    ("javascript:alert(1)", "資料"),
    (None, "資料"),
])
def test_links_are_only_http_and_cannot_break_out_of_the_link_syntax(url: str | None, expected: str) -> None:
    assert link(url, "資料") == expected


def test_escape_leaves_japanese_and_formatting_alone() -> None:
    assert escape("最大助成額 *7,320億円* R&D") == "最大助成額 *7,320億円* R&amp;D"


def test_count_phrase_orders_kinds_and_pluralises() -> None:
    kinds = ["amount_changed", "entry_added", "entry_added", "entry_added", "link_added"]
    assert count_phrase(kinds) == "3 new approvals, 1 amount change, 1 new link"


def _alert(kind: str, **overrides: object) -> HealthAlert:
    values: dict[str, object] = {
        "event_id": 4, "kind": kind, "source_id": CLOUD["id"], "source_name": CLOUD["name"],
        "agency": "METI", "source_url": CLOUD["url"], "reason": "HTTP 503 Service Unavailable",
        "since": T0, "at": T0 + timedelta(hours=12), "bad_checks": 3,
        "last_good_at": T0 - timedelta(hours=6), "last_good_snapshot_id": 41,
    }
    values.update(overrides)
    return HealthAlert(**values)  # type: ignore[arg-type]


def test_an_unhealthy_alert_says_why_since_when_and_the_last_good_check() -> None:
    message = render_health(_alert("unhealthy"), links=LINKS)

    assert message.payload() == {
        "text": f"{CLOUD['name']}: source unhealthy since 2025-11-21 09:00 JST — HTTP 503 Service Unavailable",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text":
                f":warning: *Source unhealthy* · <{CLOUD['url']}|{CLOUD['name']}>\n"
                "*Reason:* HTTP 503 Service Unavailable\n"
                "*Failing since:* 2025-11-21 09:00 JST (3 failed or suspect checks)\n"
                "*Last good check:* 2025-11-21 03:00 JST (snapshot #41)"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
                f"<{CLOUD['url']}|Source page> · "
                "<https://watcher.example.jp/sources/meti-cloud-program|Source in subsidy-watcher>"}]},
        ],
    }


def test_a_recovered_alert_says_how_long_it_was_failing() -> None:
    message = render_health(_alert("recovered", bad_checks=4), links=LINKS)

    assert message.blocks[0]["text"]["text"] == (
        f":white_check_mark: *Source recovered* · <{CLOUD['url']}|{CLOUD['name']}>\n"
        "Failing since 2025-11-21 09:00 JST, healthy again at 2025-11-21 21:00 JST "
        "(4 failed or suspect checks).")
    assert message.text == f"{CLOUD['name']}: source recovered after 4 failed or suspect checks"


def test_an_error_message_from_a_page_is_escaped_in_a_health_alert() -> None:
    message = render_health(_alert("unhealthy", reason="maintenance: <!here> 工事中"), links=LINKS)

    assert "<!here>" not in str(message.payload())
    assert "&lt;!here&gt; 工事中" in message.blocks[0]["text"]["text"]
