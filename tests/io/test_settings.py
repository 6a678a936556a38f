"""The settings file: whatever ``advocacy.toml`` holds, reading it gives settings or a SettingsError naming it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from advocacy_kpis import SettingsError, SourceError, io
from advocacy_kpis.io.bounds import MAX_MESSAGE_LENGTH


def settings_file(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "advocacy.toml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return tmp_path


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "nests tables or arrays more than 64 deep"),
        ("[column_map.accounts]\n" + "x = " + "{a = " * 100 + "1" + "}" * 100 + "\n", "more than 64 deep"),
        ("as_of = " + "9" * 5000 + "\n", "not valid TOML"),
        ('currency = "USD"\nas_of = 2026-13-01\n', "not valid TOML"),
        ('[fx_rates]\nEUR = "1e999999999"\n', "fx_rates.EUR must be a positive number from 1E-12 to 1E+12"),
        ("[fx_rates]\nEUR = 1e300\n", "fx_rates.EUR must be a positive number"),
        ("[fx_rates]\nEUR = true\n", "fx_rates.EUR must be a positive number"),
        ('as_of = "the day before yesterday"\n', "as_of must be a date"),
        ('datetime_format = "%"\n', "datetime_format must be a strptime format"),
        ("[column_map]\naccounts = 5\n", "column_map.'accounts' must map source column names"),
        ('currency = "\\u001b[2J' + "x" * 5000 + '"\n', "currency must be an ISO 4217 code"),
        ('x' * 5000 + ' = 1\n', "unknown setting 'xxxx"),
    ],
    ids=["deep array", "deep inline table", "5000-digit integer", "bad date", "FX 1e999999999", "FX float beyond",
         "FX bool", "as_of text", "datetime format %", "column map", "escape in a value", "long key"],
)  # fmt: skip
def test_a_hostile_settings_file_is_a_settings_error_naming_the_file(
    tmp_path: Path, content: str, words: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        io.read_settings(settings_file(tmp_path, content))
    message = str(raised.value)
    assert message.startswith("advocacy.toml: ") and words in message
    assert len(message) <= MAX_MESSAGE_LENGTH and "\x1b" not in message
    assert isinstance(raised.value, SourceError)  # a SettingsError is a SourceError of the folder


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("as_of = 2026-10-01\n".encode("utf-16"), "not UTF-8 text (line 1"),
        ('as_of = 2026-10-01\ncurrency = "Ä"\n'.encode("latin-1"), "not UTF-8 text (line 2"),
    ],
    ids=["UTF-16", "latin-1"],
)
def test_a_settings_file_in_another_encoding_is_refused_naming_its_line(
    tmp_path: Path, content: bytes, words: str
) -> None:
    with pytest.raises(SettingsError, match="advocacy.toml: ") as raised:
        io.read_settings(settings_file(tmp_path, content))
    assert words in str(raised.value)


def test_a_utf8_settings_file_with_a_bom_is_read(tmp_path: Path) -> None:
    folder = settings_file(tmp_path, b'\xef\xbb\xbfcurrency = "EUR"\n[fx_rates]\nUSD = "0.92"\n')
    settings = io.read_settings(folder)
    assert settings.currency == "EUR" and dict(settings.fx_rates) == {"USD": Decimal("0.92")}


def test_the_bad_fx_rate_of_the_settings_file_stops_a_load_naming_the_file(tmp_path: Path) -> None:
    folder = settings_file(tmp_path, '[fx_rates]\nEUR = "1e999999999"\n')
    (folder / "accounts.csv").write_text("id,customer_since\na1,2025-01-01\n")
    with pytest.raises(SettingsError, match=r"advocacy.toml: fx_rates.EUR .* Got '1e999999999' instead"):
        io.load_folder(folder)
