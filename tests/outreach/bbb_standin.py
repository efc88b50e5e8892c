"""A stand-in BigBlueButton server on 127.0.0.1: its real HTTP API (``/bigbluebutton/api/<call>``
with a SHA-1 checksum of call name + query string + shared secret), answering with the same XML
documents as BigBlueButton 2.x/3.x for create, join, end, getMeetingInfo and getRecordings.

A test puts participants in a room with ``standin.enter(meeting_id, user_id, name)`` (what a
browser following the join link would do) and a recording with ``standin.record(meeting_id)``.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

SECRET = "standin-shared-secret"


@dataclass
class Meeting:
    meeting_id: str
    name: str
    attendee_pw: str
    moderator_pw: str
    running: bool = False
    ended: bool = False
    attendees: dict[str, tuple[str, str]] = field(default_factory=dict)  # userID -> (name, role)


class State:
    def __init__(self) -> None:
        self.meetings: dict[str, Meeting] = {}
        self.recordings: dict[str, str] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()


def _xml(body: str) -> bytes:
    return f"<response><returncode>SUCCESS</returncode>{body}</response>".encode()


def _failed(key: str, message: str) -> bytes:
    return (
        f"<response><returncode>FAILED</returncode><messageKey>{key}</messageKey>"
        f"<message>{escape(message)}</message></response>"
    ).encode()


def _handler(state: State):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            parts = urlsplit(self.path)
            prefix = "/bigbluebutton/api/"
            if not parts.path.startswith(prefix):
                self._send(404, b"not found")
                return
            call = parts.path[len(prefix) :]
            query = parts.query
            without, _sep, checksum = query.rpartition("&checksum=")
            if not _sep and query.startswith("checksum="):
                without, checksum = "", query[len("checksum=") :]
            expected = hashlib.sha1((call + without + SECRET).encode()).hexdigest()
            if checksum != expected:
                self._send(200, _failed("checksumError", "Checksums do not match"))
                return
            params = dict(parse_qsl(without))
            with state.lock:
                state.calls.append((call, params))
                body = self._answer(call, params)
            if isinstance(body, tuple):
                self.send_response(302)
                self.send_header("Location", body[1])
                self.end_headers()
                return
            self._send(200, body)

        def _answer(self, call: str, p: dict[str, str]):
            meetings = state.meetings
            mid = p.get("meetingID", "")
            if call == "create":
                meeting = meetings.get(mid)
                if meeting is None or meeting.ended:
                    meeting = meetings[mid] = Meeting(
                        mid, p.get("name", ""), p.get("attendeePW", ""), p.get("moderatorPW", "")
                    )
                    warn = ""
                else:
                    warn = (
                        "<messageKey>duplicateWarning</messageKey><message>This conference was "
                        "already in existence and may currently be in progress.</message>"
                    )
                return _xml(
                    f"<meetingID>{escape(mid)}</meetingID><internalMeetingID>{abs(hash(mid))}"
                    f"</internalMeetingID><parentMeetingID>bbb-none</parentMeetingID>"
                    f"<attendeePW>{escape(meeting.attendee_pw)}</attendeePW><moderatorPW>"
                    f"{escape(meeting.moderator_pw)}</moderatorPW><createTime>1700000000000"
                    f"</createTime><voiceBridge>70757</voiceBridge><dialNumber>613-555-1234"
                    f"</dialNumber><hasUserJoined>false</hasUserJoined><duration>0</duration>"
                    f"<hasBeenForciblyEnded>false</hasBeenForciblyEnded>{warn}"
                )
            meeting = meetings.get(mid)
            if meeting is None:
                return _failed("notFound", "We could not find a meeting with that meeting ID")
            if call == "join":
                if p.get("password") not in (meeting.attendee_pw, meeting.moderator_pw):
                    return _failed(
                        "invalidPassword",
                        "You either did not supply a password or the password supplied is neither the attendee or moderator password for this conference.",
                    )
                return (
                    "redirect",
                    f"http://127.0.0.1/html5client/join?sessionToken={p.get('userID', '')}",
                )
            if call == "end":
                if p.get("password") != meeting.moderator_pw:
                    return _failed(
                        "invalidPassword", "You must supply the moderator password for this call."
                    )
                meeting.ended, meeting.running = True, False
                meeting.attendees.clear()
                return _xml(
                    "<messageKey>sentEndMeetingRequest</messageKey><message>A request to end the meeting was sent.</message>"
                )
            if call == "getMeetingInfo":
                people = "".join(
                    f"<attendee><userID>{escape(uid)}</userID><fullName>{escape(name)}</fullName>"
                    f"<role>{role}</role><isPresenter>false</isPresenter><isListeningOnly>true"
                    f"</isListeningOnly><hasJoinedVoice>false</hasJoinedVoice><hasVideo>false"
                    f"</hasVideo><clientType>HTML5</clientType></attendee>"
                    for uid, (name, role) in meeting.attendees.items()
                )
                return _xml(
                    f"<meetingName>{escape(meeting.name)}</meetingName><meetingID>{escape(mid)}"
                    f"</meetingID><running>{'true' if meeting.running else 'false'}</running>"
                    f"<participantCount>{len(meeting.attendees)}</participantCount>"
                    f"<attendees>{people}</attendees><metadata/><isBreakout>false</isBreakout>"
                )
            if call == "getRecordings":
                url = state.recordings.get(mid)
                if not url:
                    return _xml(
                        "<recordings></recordings><messageKey>noRecordings</messageKey><message>There are no recordings for the meeting(s).</message>"
                    )
                return _xml(
                    f"<recordings><recording><recordID>{abs(hash(mid))}-1700000000000</recordID>"
                    f"<meetingID>{escape(mid)}</meetingID><name>{escape(meeting.name)}</name>"
                    f"<published>true</published><state>published</state><playback><format>"
                    f"<type>presentation</type><url>{escape(url)}</url><length>42</length>"
                    f"</format></playback></recording></recordings>"
                )
            return _failed("unsupportedRequest", "This request is not supported.")

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/xml;charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class BBBStandin:
    def __init__(self) -> None:
        self.state = State()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bigbluebutton"

    def start(self) -> BBBStandin:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def enter(self, meeting_id: str, user_id: str, name: str, role: str = "VIEWER") -> None:
        with self.state.lock:
            meeting = self.state.meetings[meeting_id]
            meeting.running = True
            meeting.attendees[user_id] = (name, role)

    def record(self, meeting_id: str, url: str) -> None:
        with self.state.lock:
            self.state.recordings[meeting_id] = url
