"""scripts/pin_action_image.py: the release commit's action.yml uses the pushed image by digest."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from scripts.pin_action_image import PinError, main, pin_file, pin_text, validate_reference

ROOT = Path(__file__).resolve().parents[1]
DIGEST = "sha256:" + "0123456789abcdef" * 4
OTHER_DIGEST = "sha256:" + "fedcba9876543210" * 4
IMAGE = f"ghcr.io/acme/novu-sync-action@{DIGEST}"


@pytest.fixture
def action_yml(tmp_path: Path) -> Path:
    """A copy of the real action.yml, which uses `image: Dockerfile` on main."""
    path = tmp_path / "action.yml"
    path.write_bytes((ROOT / "action.yml").read_bytes())
    return path


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_the_real_action_yml_is_pinned_on_its_image_line_only(action_yml):
    before = action_yml.read_text(encoding="utf-8")
    assert "  image: Dockerfile\n" in before

    assert pin_file(action_yml, IMAGE) is True

    after = action_yml.read_text(encoding="utf-8")
    assert changed_lines(before, after) == [
        "-  image: Dockerfile\n",
        f"+  image: docker://{IMAGE}\n",
    ]
    assert after == before.replace("  image: Dockerfile\n", f"  image: docker://{IMAGE}\n")


def test_a_second_run_changes_nothing(action_yml):
    pin_file(action_yml, IMAGE)
    once = action_yml.read_bytes()

    assert pin_file(action_yml, IMAGE) is False
    assert pin_file(action_yml, f"docker://{IMAGE}") is False
    assert action_yml.read_bytes() == once


def test_a_new_digest_replaces_the_old_one(action_yml):
    pin_file(action_yml, IMAGE)
    pin_file(action_yml, f"ghcr.io/acme/novu-sync-action@{OTHER_DIGEST}")

    text = action_yml.read_text(encoding="utf-8")
    assert f"  image: docker://ghcr.io/acme/novu-sync-action@{OTHER_DIGEST}\n" in text
    assert DIGEST not in text


def test_every_other_byte_is_kept():
    text = (
        "# header comment\r\n"
        "name: x\r\n"
        "inputs:\r\n"
        "  image:\r\n"  # an input named image is not the runs image
        "    description: not this one\r\n"
        "runs:   # the container\r\n"
        "  using: 'docker'\r\n"
        "\r\n"
        "  # the image comes next\r\n"
        "  image:  'Dockerfile'   # built by the runner\r\n"
        "  args: [image: Dockerfile]\r\n"
        "  env:\r\n"
        "    image: Dockerfile\r\n"
        "outputs: {}"
    )

    pinned = pin_text(text, IMAGE)

    assert pinned == text.replace(
        "  image:  'Dockerfile'   # built by the runner\r\n",
        f"  image:  docker://{IMAGE}   # built by the runner\r\n",
    )


def test_the_last_line_without_a_newline_stays_without_one():
    assert pin_text("runs:\n  using: docker\n  image: Dockerfile", IMAGE) == (
        f"runs:\n  using: docker\n  image: docker://{IMAGE}"
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("name: x\n", 0),
        ("runs:\n  using: composite\n  steps: []\n", 0),
        ("runs:\n  image: Dockerfile\n  image: Dockerfile\n", 2),
        ("image: Dockerfile\nruns:\n  using: docker\n", 0),
    ],
)
def test_a_file_without_exactly_one_runs_image_is_refused(text, found):
    with pytest.raises(PinError, match=f"expected one `image:` key under `runs:`, found {found}"):
        pin_text(text, IMAGE)


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("ghcr.io/acme/novu-sync-action", "no digest"),
        ("ghcr.io/acme/novu-sync-action:v1.2.3", "no digest"),
        ("ghcr.io/acme/novu-sync-action:latest", "no digest"),
        ("ghcr.io/acme/novu-sync-action@sha512:" + "ab" * 64, "only sha256"),
        ("ghcr.io/acme/novu-sync-action@md5:0123456789abcdef0123456789abcdef", "only sha256"),
        ("ghcr.io/acme/novu-sync-action@sha256:0123abcd", "64 lower-case hex"),
        ("ghcr.io/acme/novu-sync-action@" + DIGEST.upper().replace("SHA256", "sha256"), "64 lower-case hex"),
        ("ghcr.io/acme/novu-sync-action@" + DIGEST + "0", "64 lower-case hex"),
        ("ghcr.io/acme/novu-sync-action:v1@" + DIGEST, "without a tag"),
        ("ghcr.io/Acme/Novu-Sync-Action@" + DIGEST, "not a lower-case image repository name"),
        ("@" + DIGEST, "not a lower-case image repository name"),
        ("ghcr.io/acme/novu sync@" + DIGEST, "not a lower-case image repository name"),
    ],
)
def test_references_that_are_not_pinned_by_sha256_digest_are_refused(action_yml, reference, reason):
    before = action_yml.read_bytes()

    with pytest.raises(PinError, match=reason):
        validate_reference(reference)
    with pytest.raises(PinError):
        pin_file(action_yml, reference)

    assert action_yml.read_bytes() == before


@pytest.mark.parametrize(
    "reference",
    [
        IMAGE,
        f"docker://{IMAGE}",
        f"ghcr.io/my-org/my_repo.name@{DIGEST}",
        f"localhost:5000/novu-sync-action@{DIGEST}",
        f"python@{DIGEST}",
    ],
)
def test_valid_references(reference):
    assert validate_reference(reference) == reference.removeprefix("docker://")


def test_main_pins_and_reports(action_yml, capsys):
    assert main([IMAGE, "--file", str(action_yml)]) == 0
    assert capsys.readouterr().out == f"{action_yml} now uses docker://{IMAGE}\n"

    assert main([IMAGE, "--file", str(action_yml)]) == 0
    assert capsys.readouterr().out == f"{action_yml} already uses docker://{IMAGE}\n"


def test_main_refuses_a_tag_with_exit_status_1(action_yml, capsys):
    before = action_yml.read_bytes()

    assert main(["ghcr.io/acme/novu-sync-action:v1", "--file", str(action_yml)]) == 1

    assert "has no digest" in capsys.readouterr().err
    assert action_yml.read_bytes() == before
