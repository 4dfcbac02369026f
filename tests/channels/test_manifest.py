"""The Teams app manifest template and the package builder."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from teams.build_app_package import HERE, PLACEHOLDER, build, fill_template

VALUES = {"APP_VERSION": "1.2.3", "TEAMS_MANIFEST_ID": "0b7e6c3a-1111-4a2b-9c3d-123456789abc",
          "BOT_APP_ID": "0b7e6c3a-1111-4a2b-9c3d-123456789abc", "COMPANY_NAME": "Example Group AS",
          "WEBSITE_URL": "https://www.example.com", "PRIVACY_URL": "https://www.example.com/privacy",
          "TERMS_URL": "https://www.example.com/terms", "BOT_HOST": "bot.example.com"}


def test_template_placeholders_and_shape() -> None:
    template = (HERE / "manifest.template.json").read_text(encoding="utf-8")
    assert set(PLACEHOLDER.findall(template)) == set(VALUES)
    manifest = json.loads(fill_template(template, VALUES))
    assert manifest["manifestVersion"] == "1.16"
    assert manifest["$schema"].endswith("/v1.16/MicrosoftTeams.schema.json")
    bot = manifest["bots"][0]
    assert bot["botId"] == VALUES["BOT_APP_ID"]
    assert set(bot["scopes"]) == {"personal", "team"}
    assert manifest["validDomains"] == ["bot.example.com"]
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000


@pytest.mark.parametrize("language", ["nb", "sv"])
def test_localisations_cover_the_same_strings(language: str) -> None:
    localisation = json.loads((HERE / f"{language}.json").read_text(encoding="utf-8"))
    assert len(localisation["name.short"]) <= 30 and len(localisation["description.short"]) <= 80
    assert {k for k in localisation if k.startswith("bots[0]")} == {
        f"bots[0].commandLists[0].commands[{n}].{part}" for n in range(3) for part in ("title", "description")}


def test_missing_placeholder_value_is_an_error() -> None:
    with pytest.raises(KeyError):
        fill_template('{"botId": "${BOT_APP_ID}"}', {})


def test_package_has_manifest_and_icons_of_the_right_size(tmp_path: Path) -> None:
    package = build(tmp_path / "app.zip", VALUES)
    with zipfile.ZipFile(package) as archive:
        assert set(archive.namelist()) == {"manifest.json", "nb.json", "sv.json", "color.png", "outline.png"}
        assert json.loads(archive.read("manifest.json"))["bots"][0]["botId"] == VALUES["BOT_APP_ID"]
        for name, size in (("color.png", 192), ("outline.png", 32)):
            png = archive.read(name)
            assert png.startswith(b"\x89PNG\r\n\x1a\n")
            assert struct.unpack(">II", png[16:24]) == (size, size)
