"""The bytes of a plain-text e-mail, written directly (RFC 5322, RFC 2045, RFC 2047).

Python's modern e-mail API parses every header it is given back into a structure (about 1.5 ms
a message on one core, most of a mail worker's time at hundreds of mails a second). A plain-text
message needs none of that, so ``plain_message`` writes it header by header:

* an ASCII header value is written as it is, folded at spaces past 78 characters (a value
  without spaces, such as a ``List-Unsubscribe`` URL, stays on one line up to 998 characters);
* a value with other characters is RFC 2047 encoded words (UTF-8, base64), folded;
* a mailbox is ``"Display Name" <addr>`` (name quoted when needed, encoded words when not
  ASCII); the address itself must be ASCII (others go through Django's ``EmailMessage``);
* the body is ``7bit`` when it is ASCII with short lines, else quoted-printable UTF-8; lines end
  CRLF; the SMTP client adds the dot-stuffing.

A CR or LF inside a header value is refused (``ValueError``): header injection.

``pipelined_sendmail`` hands a message to an SMTP server that offers PIPELINING (RFC 2920):
``MAIL``, the ``RCPT``s and ``DATA`` in one write, then the message: two round trips a message
instead of three plus one per recipient.
"""

from __future__ import annotations

import binascii
import contextlib
import re
import smtplib
from collections.abc import Iterable
from email.header import Header
from email.utils import formataddr

CRLF = "\r\n"
FOLD_AT = 78
MAX_LINE = 998


def _check(name: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"header {name} contains a line break")


def header_line(name: str, value: str) -> str:
    """``Name: value`` with its line ending, folded and encoded as the module docstring says."""
    _check(name, value)
    if value.isascii():
        line = f"{name}: {value}"
        if len(line) <= FOLD_AT or " " not in value:
            if len(line) > MAX_LINE:
                raise ValueError(f"header {name} is longer than {MAX_LINE} characters")
            return line + CRLF
        encoded = Header(value, "us-ascii", header_name=name).encode(linesep=CRLF)
    else:
        encoded = Header(value, "utf-8", header_name=name).encode(linesep=CRLF)
    return f"{name}: {encoded}{CRLF}"


def mailbox(name: str, address: str) -> str:
    """One mailbox for an address header (``address`` ASCII, checked by the caller)."""
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))
    return f"{Header(name, 'utf-8').encode()} <{address}>"


def plain_address(address: str) -> bool:
    """Whether ``address`` is a plain ASCII addr-spec this module may write as it is."""
    if not address.isascii() or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    if not local or not domain:
        return False
    return not any(char in address for char in ' <>()[]\\,;:"\r\n\t')


def encode_body(text: str) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, body bytes with CRLF line endings and a final CRLF)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    joined = CRLF.join(lines) + CRLF
    if joined.isascii() and all(len(line) <= MAX_LINE for line in lines):
        return "7bit", joined.encode("ascii")
    data = binascii.b2a_qp(joined.encode("utf-8"), quotetabs=False, istext=True, header=False)
    return "quoted-printable", data


def plain_message(headers: Iterable[tuple[str, str]], body: str) -> bytes:
    """The whole message: ``headers`` (name, already-formatted value: use ``mailbox`` for
    addresses) then the MIME headers of a UTF-8 text/plain body, a blank line and the body."""
    encoding, data = encode_body(body)
    head = [header_line(name, value) for name, value in headers]
    head.append(f"MIME-Version: 1.0{CRLF}")
    head.append(f'Content-Type: text/plain; charset="utf-8"{CRLF}')
    head.append(f"Content-Transfer-Encoding: {encoding}{CRLF}")
    return "".join(head).encode("ascii") + CRLF.encode("ascii") + data


# --------------------------------------------------------------------------- SMTP

_LINE_START_DOT = re.compile(rb"(?m)^\.")


def _reset(client: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        client.rset()


def _finish_empty_data(client: smtplib.SMTP, data_code: int) -> None:
    """A server that said 354 to a pipelined DATA whose transaction failed gets an empty
    message, which it refuses (RFC 2920, section 3.1)."""
    if data_code == 354:
        client.send(b".\r\n")
        client.getreply()


def pipelined_sendmail(
    client: smtplib.SMTP, sender: str, recipients: list[str], data: bytes
) -> None:
    """Send ``data`` (CRLF lines) to ``recipients`` as ``smtplib.SMTP.sendmail`` would, with
    the commands pipelined; raises the same exceptions (``SMTPSenderRefused``,
    ``SMTPRecipientsRefused`` when every recipient was refused, ``SMTPDataError``)."""
    client.ehlo_or_helo_if_needed()
    size = f" SIZE={len(data)}" if client.has_extn("size") else ""
    commands = [f"MAIL FROM:{smtplib.quoteaddr(sender)}{size}"]
    commands += [f"RCPT TO:{smtplib.quoteaddr(recipient)}" for recipient in recipients]
    commands.append("DATA")
    client.send(("\r\n".join(commands) + "\r\n").encode("ascii"))
    mail_code, mail_reply = client.getreply()
    refused: dict[str, tuple[int, bytes]] = {}
    for recipient in recipients:
        code, reply = client.getreply()
        if code not in (250, 251):
            refused[recipient] = (code, reply)
    data_code, data_reply = client.getreply()
    if mail_code != 250:
        _finish_empty_data(client, data_code)
        _reset(client)
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
    if len(refused) == len(recipients):
        _finish_empty_data(client, data_code)
        _reset(client)
        raise smtplib.SMTPRecipientsRefused(refused)
    if data_code != 354:
        _reset(client)
        raise smtplib.SMTPDataError(data_code, data_reply)
    payload = _LINE_START_DOT.sub(b"..", data)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    client.send(payload + b".\r\n")
    code, reply = client.getreply()
    if code != 250:
        _reset(client)
        raise smtplib.SMTPDataError(code, reply)
