"""A thin BigBlueButton API client: checksum-signed query strings over httpx, XML answers read
with defusedxml.

Every call is ``GET {DOWNLINE_BBB_URL}/api/<call>?<query>&checksum=<sha1(call + query + secret)>``
(``DOWNLINE_BBB_URL`` ends in ``/bigbluebutton``; ``DOWNLINE_BBB_SECRET`` is the server's shared
secret, ``bbb-conf --secret``). Answers are ``<response><returncode>SUCCESS|FAILED</returncode>
…</response>``; a FAILED answer raises ``BBBError`` with its ``messageKey``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree
from django.conf import settings


class BBBError(RuntimeError):
    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key


@dataclass(frozen=True)
class Attendee:
    user_id: str
    name: str
    role: str


@dataclass(frozen=True)
class Recording:
    record_id: str
    playback_url: str


def _config() -> tuple[str, str]:
    url = getattr(settings, "DOWNLINE_BBB_URL", "")
    secret = getattr(settings, "DOWNLINE_BBB_SECRET", "")
    if not url or not secret:
        raise BBBError("notConfigured", "DOWNLINE_BBB_URL and DOWNLINE_BBB_SECRET must be set")
    return url.rstrip("/"), secret


def signed_url(call: str, params: dict[str, str]) -> str:
    base, secret = _config()
    query = urlencode(params)
    checksum = hashlib.sha1((call + query + secret).encode()).hexdigest()
    return f"{base}/api/{call}?{query}{'&' if query else ''}checksum={checksum}"


def _call(call: str, params: dict[str, str]) -> Element:
    response = httpx.get(signed_url(call, params), timeout=10)
    response.raise_for_status()
    root = ElementTree.fromstring(response.content)
    if root.findtext("returncode") != "SUCCESS":
        raise BBBError(root.findtext("messageKey") or "failed", root.findtext("message") or "")
    return root


def create(
    meeting_id: str, name: str, *, moderator_pw: str, attendee_pw: str, record: bool = True
) -> Element:
    return _call(
        "create",
        {
            "name": name,
            "meetingID": meeting_id,
            "moderatorPW": moderator_pw,
            "attendeePW": attendee_pw,
            "record": "true" if record else "false",
            "autoStartRecording": "true" if record else "false",
        },
    )


def join_url(
    meeting_id: str, full_name: str, *, password: str, user_id: str, role: str = "VIEWER"
) -> str:
    """The address a participant opens (the server checks it; we do not call it)."""
    return signed_url(
        "join",
        {
            "fullName": full_name,
            "meetingID": meeting_id,
            "password": password,
            "role": role,
            "userID": user_id,
            "redirect": "true",
        },
    )


def end(meeting_id: str, *, moderator_pw: str) -> None:
    _call("end", {"meetingID": meeting_id, "password": moderator_pw})


def meeting_info(meeting_id: str) -> tuple[bool, list[Attendee]]:
    """(running, attendees now in the room)."""
    root = _call("getMeetingInfo", {"meetingID": meeting_id})
    attendees = [
        Attendee(
            user_id=node.findtext("userID") or "",
            name=node.findtext("fullName") or "",
            role=node.findtext("role") or "",
        )
        for node in root.iter("attendee")
    ]
    return root.findtext("running") == "true", attendees


def recordings(meeting_id: str) -> list[Recording]:
    root = _call("getRecordings", {"meetingID": meeting_id})
    found = []
    for node in root.iter("recording"):
        url = ""
        for playback in node.iter("format"):
            url = playback.findtext("url") or url
            if playback.findtext("type") == "presentation":
                break
        found.append(Recording(record_id=node.findtext("recordID") or "", playback_url=url))
    return found
