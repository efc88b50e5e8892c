"""Where the server may send a request to a URL someone typed (a webhook endpoint, a shop's REST
API): public internet addresses only, unless the company allows more.

Such a URL is typed by a person (an admin) and then fetched by the server, so without a
check it is a way into the company's own network (server-side request forgery): the cloud's
metadata service at 169.254.169.254, Redis on 127.0.0.1, an intranet at 10.x. The rule:

- every address the host name resolves to must be a global unicast address
  (``ipaddress.ip_address(a).is_global``): no loopback, private, link-local, shared (CGNAT),
  multicast, reserved or unspecified address, in IPv4 or IPv6 (IPv4-mapped IPv6 included);
- the connection goes to the address that was checked (no second lookup between the check and
  the connection, so a DNS answer that changes in between cannot slip through), with the URL's
  host name kept for the ``Host`` header and for TLS (SNI and certificate check);
- the environment's proxy settings are not used (a proxy would hide the address);
- ``DOWNLINE_WEBHOOK_PRIVATE_DESTINATIONS=1`` turns the rule off, for a company whose receivers
  live in its own network (and for the tests, whose receivers listen on 127.0.0.1).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request

from django.conf import settings
from django.utils.translation import gettext as _


class DestinationRefused(OSError):
    """The URL's host resolves to an address the server may not reach; the message says which."""


def private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_PRIVATE_DESTINATIONS", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone index
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def checked_addresses(host: str, port: int) -> list[tuple]:
    """``getaddrinfo`` results for ``host``, refused with ``DestinationRefused`` when any of them
    is not a public address (one bad answer is enough: the client could pick it)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as failure:
        raise OSError(_("The host name %(host)s cannot be resolved.") % {"host": host}) from failure
    if not private_allowed():
        for *_rest, sockaddr in found:
            if not _is_public(sockaddr[0]):
                raise DestinationRefused(
                    _(
                        "%(host)s resolves to %(address)s, which is not a public internet "
                        "address; the server sends no requests into the company's own network."
                    )
                    % {"host": host, "address": sockaddr[0]}
                )
    return found


def _connect(host: str, port: int, timeout: float | None) -> socket.socket:
    failure: OSError | None = None
    for family, kind, proto, _name, sockaddr in checked_addresses(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            sock.close()
            failure = error
    raise failure or OSError(_("No address of %(host)s answered.") % {"host": host})


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = _connect(self.host, self.port, self.timeout)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = _connect(self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req)


def opener(*handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
    """A urllib opener that connects only to checked addresses and ignores proxy settings."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _HTTPHandler, _HTTPSHandler, *handlers
    )
