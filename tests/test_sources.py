"""sources.toml: the shipped file loads, and every kind of mistake is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.errors import ConfigError
from watcher.sources import load_config, parse_schedule

REPO = Path(__file__).resolve().parent.parent

GOOD_SOURCE = """
[[sources]]
id = "meti-semiconductor-plans"
name = "METI — 特定半導体生産施設整備等計画の認定"
agency = "METI"
url = "https://www.meti.go.jp/policy/mono_info_service/joho/laws/semiconductor.html"
extract = "table"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_sources_toml_lists_the_meti_and_ipa_pages() -> None:
    config = load_config(REPO / "sources.toml")
    ids = {s.id for s in config.sources}
    assert {"meti-semiconductor-plans", "meti-semiconductor-plans-en", "meti-cloud-program",
            "ipa-news", "meti-budget-fy2026-pdf", "meti-ai-semiconductor-framework",
            "meti-ot-security-guidelines"} <= ids
    assert {s.agency for s in config.sources} == {"METI", "IPA"}
    assert all(s.url.startswith("https://") for s in config.sources)
    assert {s.extract for s in config.sources} == {"table", "links", "pdf", "text"}
    assert str(config.timezone) == "Asia/Tokyo"


def test_defaults_apply_when_the_watcher_table_is_absent(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD_SOURCE))
    (source,) = config.sources
    assert source.schedule.interval_s == 6 * 3600
    assert source.enabled is True
    assert source.allow_private is False
    assert config.user_agent.startswith("subsidy-watcher/")


def test_optional_keys_are_read(tmp_path: Path) -> None:
    text = GOOD_SOURCE + """schedule = "0 */6 * * *"
tags = ["semiconductor"]
ignore = ["最終更新日.*"]
enabled = false
timeout_s = 15
headers = { Accept-Language = "ja" }
allow_private = true
"""
    (source,) = load_config(write(tmp_path, text)).sources
    assert source.schedule.cron == "0 */6 * * *"
    assert source.tags == ("semiconductor",)
    assert source.ignore[0].pattern == "最終更新日.*"
    assert (source.enabled, source.timeout_s, source.allow_private) == (False, 15.0, True)
    assert source.headers == (("Accept-Language", "ja"),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(GOOD_SOURCE + 'colour = "blue"\n',
                     "source 'meti-semiconductor-plans': field 'colour': unknown key", id="unknown-key"),
        pytest.param(GOOD_SOURCE + GOOD_SOURCE, "source 'meti-semiconductor-plans': duplicate id",
                     id="duplicate-id"),
        pytest.param(GOOD_SOURCE.replace('"meti-semiconductor-plans"', '"METI_Plans"'),
                     "source 'METI_Plans': field 'id': 'METI_Plans' is not a slug", id="bad-slug"),
        pytest.param(GOOD_SOURCE.replace("https://www.meti.go.jp/policy/mono_info_service/joho/laws/semiconductor.html",
                                         "ftp://www.meti.go.jp/x"),
                     "field 'url': 'ftp://www.meti.go.jp/x' is not an http or https URL", id="bad-url"),
        pytest.param(GOOD_SOURCE.replace('extract = "table"', 'extract = "tables"'),
                     "field 'extract': unknown kind 'tables' (expected one of: table, links, pdf, text)",
                     id="unknown-extract"),
        pytest.param(GOOD_SOURCE + 'schedule = "every fortnight"\n',
                     "field 'schedule': 'every fortnight' is neither", id="bad-schedule"),
        pytest.param(GOOD_SOURCE + 'schedule = "61 * * * *"\n',
                     "field 'schedule': '61 * * * *' is not a valid cron expression", id="bad-cron"),
        pytest.param(GOOD_SOURCE + 'ignore = ["最終更新日(.*"]\n',
                     "field 'ignore': invalid regex '最終更新日(.*'", id="invalid-regex"),
        pytest.param(GOOD_SOURCE.replace('agency = "METI"\n', ""), "field 'agency': missing",
                     id="missing-field"),
        pytest.param('[watcher]\ndefault_schedule = "sometimes"\n' + GOOD_SOURCE,
                     "[watcher]: field 'default_schedule'", id="bad-default-schedule"),
        pytest.param('[watcher]\ntimezone = "Mars/Olympus"\n' + GOOD_SOURCE,
                     "[watcher]: field 'timezone': unknown time zone 'Mars/Olympus'", id="bad-timezone"),
        pytest.param(GOOD_SOURCE + "timeout_s = -1\n", "field 'timeout_s'", id="bad-timeout"),
    ],
)
def test_bad_config_is_one_line_naming_file_source_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert expected in message
    assert message.startswith(str(path))
    assert "\n" not in message


def test_toml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_SOURCE + 'name = "unterminated\n')
    with pytest.raises(ConfigError, match=r"TOML syntax error: .*line 8"):
        load_config(path)


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(("text", "seconds"), [("every 30s", 30), ("every 30m", 1800),
                                               ("every 6h", 21600), ("every 1d", 86400),
                                               ("0 */6 * * *", 21600)])
def test_schedules_parse_to_their_period(text: str, seconds: int) -> None:
    assert parse_schedule(text).nominal_seconds == seconds
