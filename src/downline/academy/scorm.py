"""SCORM 1.2 packages: checked, stored in the company's storage, the entry point on the lesson.

A package is a zip with ``imsmanifest.xml`` at its root; the first ``<item identifierref>`` of
the default organization names a ``<resource>`` whose ``href`` is the page the lesson shows in
an iframe (files are read from the zip in storage by ``views.scorm_file``). The page talks to
``window.API`` (``static/academy/scorm.js``), which posts ``cmi.core.lesson_status`` and
``cmi.core.score.raw`` to ``actions.do_scorm_commit``.

``check_package`` refuses, with a sentence naming the problem, a package that is:

* larger than ``ACADEMY_SCORM_MAX_BYTES`` (default 200 MB) as uploaded, or larger than
  ``ACADEMY_SCORM_MAX_UNPACKED_BYTES`` (default 1 GB) or ``ACADEMY_SCORM_MAX_FILES`` (default
  10,000) files once unpacked, as its directory says (a zip bomb);
* not a zip, or a zip whose directory lies (a member's CRC fails when read);
* holding a name that leaves the package: absolute (``/x``, ``C:x``), with ``..`` parts, or
  with a backslash or a NUL;
* without ``imsmanifest.xml`` at its root, with a manifest that is not XML or names no launch
  page, or whose launch page is not in the zip.

Nothing is stored until the package passed every check.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from lxml import etree

from .models import Lesson

_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, dtd_validation=False)
_DRIVE = re.compile(r"^[A-Za-z]:")
MB = 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "ACADEMY_SCORM_MAX_BYTES", 200 * MB))


def max_unpacked_bytes() -> int:
    return int(getattr(settings, "ACADEMY_SCORM_MAX_UNPACKED_BYTES", 1024 * MB))


def max_files() -> int:
    return int(getattr(settings, "ACADEMY_SCORM_MAX_FILES", 10_000))


def _refuse(message: str) -> ValidationError:
    return ValidationError({"scorm_package": message})


def entry_point(manifest: bytes) -> str:
    """The launch page of a SCORM 1.2 manifest."""
    try:
        root = etree.fromstring(manifest, parser=_SAFE)
    except etree.XMLSyntaxError as error:
        raise _refuse(_("imsmanifest.xml is not valid XML: %(error)s") % {"error": error}) from None

    def local(element, name):
        return [
            e for e in element.iter() if isinstance(e.tag, str) and etree.QName(e).localname == name
        ]

    resources = {r.get("identifier"): r for r in local(root, "resource")}
    organizations = local(root, "organizations")
    default = organizations[0].get("default") if organizations else None
    orgs = [o for o in local(root, "organization") if default in (None, o.get("identifier"))]
    for org in orgs or [root]:
        for item in local(org, "item"):
            resource = resources.get(item.get("identifierref"))
            if resource is not None and resource.get("href"):
                return resource.get("href")
    for resource in resources.values():
        if resource.get("href"):
            return resource.get("href")
    raise _refuse(_("imsmanifest.xml names no launch page."))


def unsafe_name(name: str) -> bool:
    """Whether a member name of the zip would leave the package when unpacked or served."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or _DRIVE.match(name):
        return True
    return ".." in name.split("/")


def check_package(upload: IO[bytes], size: int | None = None) -> str:
    """Check the zip ``upload`` (see the module docstring); returns its launch page."""
    if size is not None and size > max_bytes():
        raise _refuse(
            _("The package is %(size)s MB; at most %(limit)s MB may be uploaded.")
            % {"size": -(-size // MB), "limit": max_bytes() // MB}
        )
    try:
        with zipfile.ZipFile(upload) as package:
            infos = package.infolist()
            if len(infos) > max_files():
                raise _refuse(
                    _("The package holds %(count)s files; at most %(limit)s are allowed.")
                    % {"count": len(infos), "limit": max_files()}
                )
            unpacked = sum(info.file_size for info in infos)
            if unpacked > max_unpacked_bytes():
                raise _refuse(
                    _("Unpacked, the package would take %(size)s MB; at most %(limit)s MB.")
                    % {"size": -(-unpacked // MB), "limit": max_unpacked_bytes() // MB}
                )
            for info in infos:
                if unsafe_name(info.filename):
                    raise _refuse(
                        _("The file name %(name)s points outside the package.")
                        % {"name": info.filename}
                    )
            names = {info.filename for info in infos}
            if "imsmanifest.xml" not in names:
                raise _refuse(
                    _("imsmanifest.xml is missing at the top of the zip: is this a SCORM package?")
                )
            bad = package.testzip()
            if bad is not None:
                raise _refuse(_("The file %(name)s in the zip is damaged.") % {"name": bad})
            entry = entry_point(package.read("imsmanifest.xml"))
    except zipfile.BadZipFile:
        raise _refuse(_("The file is not a zip archive.")) from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError) as error:
        raise _refuse(
            _("The zip cannot be read: %(error)s") % {"error": error}
        ) from None  # encrypted or an unsupported compression
    page = entry.split("?", 1)[0].split("#", 1)[0]
    if unsafe_name(page) or posixpath.normpath(page) != page:
        raise _refuse(_("The launch page %(name)s points outside the package.") % {"name": entry})
    if page not in names:
        raise _refuse(
            _("The launch page %(name)s named in imsmanifest.xml is not in the zip.")
            % {"name": page}
        )
    return entry


@transaction.atomic
def do_attach_scorm(lesson: Lesson, upload) -> Lesson:
    """Check the zip ``upload`` and store it as ``lesson``'s package (replacing the previous
    one, whose file is removed once the change is committed); read its entry point."""
    if lesson.kind != Lesson.Kind.SCORM:
        raise ValidationError({"kind": _("Only a SCORM lesson takes a package.")})
    entry = check_package(upload, getattr(upload, "size", None))
    upload.seek(0)
    lesson = Lesson.objects.select_for_update().select_related("course").get(pk=lesson.pk)
    old = lesson.scorm_package.name if lesson.scorm_package else ""
    lesson.scorm_package.save(f"{lesson.course.slug}-{lesson.key}.zip", upload, save=False)
    lesson.scorm_entry = entry
    lesson.save(update_fields=["scorm_package", "scorm_entry"])
    new = lesson.scorm_package.name
    storage = lesson.scorm_package.storage
    if old and old != new:
        transaction.on_commit(lambda: storage.delete(old))
    return lesson
