"""The console's SCORM upload: a real zip built here, checked (manifest, launch page, names that
leave the package, size limits), stored in the company's storage, then played by the lesson."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from downline.academy import actions
from downline.academy.models import Lesson, LessonProgress

from .conftest import lesson, verified_staff

MANIFEST = """<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations default="o"><organization identifier="o"><title>T</title>
    <item identifier="i" identifierref="r"><title>Tiny</title></item></organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="{href}">
    <file href="{href}"/></resource></resources>
</manifest>"""


def package(
    files: dict[str, str] | None = None, *, href: str = "sco/index.html", manifest: bool = True
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zip_:
        if manifest:
            zip_.writestr("imsmanifest.xml", MANIFEST.format(href=href))
        for name, text in (
            files or {"sco/index.html": "<html><body>Tiny SCO</body></html>"}
        ).items():
            zip_.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture
def scorm_lesson(course) -> Lesson:
    return actions.do_add_lesson(
        lesson("income-claims").module, key="tiny-scorm", kind=Lesson.Kind.SCORM, title="Tiny"
    )


@pytest.fixture
def admin_client(client, db):
    verified_staff(client, "ada", "admin")
    return client


def upload(client, item: Lesson, data: bytes, name: str = "tiny.zip"):
    return client.post(
        f"/console/academy/lessons/{item.pk}/scorm/",
        {"package": SimpleUploadedFile(name, data, content_type="application/zip")},
        follow=True,
    )


def test_upload_needs_the_academy_capability(client, scorm_lesson, net):
    verified_staff(client, "sue", "support")
    assert upload(client, scorm_lesson, package()).status_code == 403
    client.force_login(net.alice_user)
    assert upload(client, scorm_lesson, package()).status_code == 404
    scorm_lesson.refresh_from_db()
    assert not scorm_lesson.scorm_package


def test_uploaded_package_is_stored_and_played(
    admin_client, scorm_lesson, net, settings, django_capture_on_commit_callbacks
):
    page = admin_client.get(f"/console/academy/lessons/{scorm_lesson.pk}/").content.decode()
    assert 'name="package"' in page
    response = upload(admin_client, scorm_lesson, package())
    assert "SCORM package uploaded." in response.content.decode()
    scorm_lesson.refresh_from_db()
    assert scorm_lesson.scorm_entry == "sco/index.html"
    stored = Path(settings.MEDIA_ROOT) / scorm_lesson.scorm_package.name
    assert stored.is_file()
    assert zipfile.ZipFile(stored).read("sco/index.html").startswith(b"<html>")
    # the player serves it to a member and takes its report
    client = Client()
    client.force_login(net.alice_user)
    sco = client.get(f"/academy/lessons/{scorm_lesson.pk}/scorm/sco/index.html")
    assert b"Tiny SCO" in sco.content
    client.post(
        f"/academy/lessons/{scorm_lesson.pk}/scorm/commit/",
        data='{"cmi.core.lesson_status": "completed"}',
        content_type="application/json",
    )
    assert LessonProgress.objects.get(member=net.alice, lesson=scorm_lesson).state == "completed"
    # a new package replaces the old one, whose file is removed
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, scorm_lesson, package({"start.html": "v2"}, href="start.html"))
    scorm_lesson.refresh_from_db()
    assert scorm_lesson.scorm_entry == "start.html"
    assert (Path(settings.MEDIA_ROOT) / scorm_lesson.scorm_package.name).is_file()
    assert not stored.exists()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"not a zip at all", "The file is not a zip archive."),
        (package(manifest=False), "imsmanifest.xml is missing at the top of the zip"),
        (package({"other.html": "x"}), "The launch page sco/index.html named in imsmanifest.xml"),
        (
            package({"sco/index.html": "x", "../../etc/evil.sh": "x"}),
            "The file name ../../etc/evil.sh points outside the package.",
        ),
        (package({"/abs.html": "x", "sco/index.html": "x"}), "/abs.html points outside"),
        (package({"a\\b.html": "x", "sco/index.html": "x"}), "points outside the package"),
        (package({"../x.html": "x"}, href="../x.html"), "points outside the package"),
    ],
)
def test_bad_packages_are_refused_and_nothing_is_saved(
    admin_client, scorm_lesson, settings, data, expected
):
    response = upload(admin_client, scorm_lesson, data)
    assert expected in response.content.decode()
    scorm_lesson.refresh_from_db()
    assert not scorm_lesson.scorm_package
    assert scorm_lesson.scorm_entry == ""
    assert not list(Path(settings.MEDIA_ROOT).glob("academy/scorm/*"))


def test_broken_manifest_is_named(admin_client, scorm_lesson):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zip_:
        zip_.writestr("imsmanifest.xml", "<manifest><unclosed>")
    response = upload(admin_client, scorm_lesson, buffer.getvalue())
    assert "imsmanifest.xml is not valid XML" in response.content.decode()


def test_size_limits(admin_client, scorm_lesson, settings):
    settings.ACADEMY_SCORM_MAX_BYTES = 1024 * 1024
    big = package({"sco/index.html": "x", "video.bin": __import__("os").urandom(1_100_000).hex()})
    assert (
        "at most 1 MB may be uploaded" in upload(admin_client, scorm_lesson, big).content.decode()
    )
    settings.ACADEMY_SCORM_MAX_BYTES = 200 * 1024 * 1024
    settings.ACADEMY_SCORM_MAX_UNPACKED_BYTES = 1024 * 1024
    bomb = package({"sco/index.html": "x", "zeros.txt": "0" * 3_000_000})  # deflates to a few KB
    assert len(bomb) < 100_000
    text = upload(admin_client, scorm_lesson, bomb).content.decode()
    assert "Unpacked, the package would take 3 MB; at most 1 MB." in text
    settings.ACADEMY_SCORM_MAX_FILES = 3
    many = package({"sco/index.html": "x", "a": "1", "b": "2", "c": "3"})
    assert "holds 5 files; at most 3" in upload(admin_client, scorm_lesson, many).content.decode()
    scorm_lesson.refresh_from_db()
    assert not scorm_lesson.scorm_package


def test_only_a_scorm_lesson_takes_a_package(admin_client, course):
    text_lesson = lesson("income-claims")
    response = upload(admin_client, text_lesson, package())
    assert "Only a SCORM lesson takes a package." in response.content.decode()
    missing = admin_client.post(f"/console/academy/lessons/{text_lesson.pk}/scorm/", follow=True)
    assert "Choose a SCORM package" in missing.content.decode()
