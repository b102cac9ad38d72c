"""The lab image: cached by recipe, and re-importing it never destroys anyone's containers."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from beffroi.lab import podman
from beffroi.lab.image import RECIPE_LABEL, ImageResult, import_tarball, recipe_hash

pytestmark = [pytest.mark.lab, pytest.mark.xdist_group("lab")]
TINY = "localhost/beffroi-lab-test:tiny"
HOLDER = "beffroi-lab-test-image-holder"


@pytest.fixture
def tiny_tarball(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A one-file root filesystem (imports in a second); the images made from it, by id, are
    removed afterwards."""
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "marker").write_text("beffroi\n", encoding="utf-8")
    tar = tmp_path / "tiny.tar"
    with tarfile.open(tar, "w") as tf:
        tf.add(tmp_path / "root", arcname=".")
    made: list[str] = []
    yield tar, made
    podman.run(["rm", "-f", "-t", "0", "--ignore", HOLDER], check=False)
    for image_id in made:
        podman.run(["rmi", image_id], check=False)


def _import(tar: Path, made: list[str]) -> str:
    import_tarball(tar, TINY)
    image_id = podman.run(["image", "inspect", "--format", "{{.Id}}", TINY]).stdout.strip()
    made.append(image_id)
    return image_id


def test_reimport_keeps_containers_of_the_previous_image(
        lab_image: ImageResult, tiny_tarball: tuple[Path, list[str]]) -> None:
    tar, made = tiny_tarball
    _import(tar, made)
    podman.run(["create", "--name", HOLDER, TINY, "/marker"])
    _import(tar, made)  # same name again, as after a recipe change
    assert podman.container_exists(HOLDER)


def test_imported_image_carries_the_recipe_and_boots_systemd(lab_image: ImageResult) -> None:
    out = podman.run(["image", "inspect", "--format",
                      "{{ index .Config.Labels \"" + RECIPE_LABEL + "\" }} {{ .Config.Cmd }}",
                      lab_image.name]).stdout.split(maxsplit=1)
    assert out[0] == recipe_hash()
    assert "/lib/systemd/systemd" in out[1]
    assert lab_image.tarball.is_file()
