"""The address participants' phones and tablets use to reach the workshop server: never
127.0.0.1 or 0.0.0.0 when the room is on a network. ``PUBLIC_URL`` wins; otherwise the
machine's own LAN address, read from its interfaces (nothing is sent anywhere)."""

from __future__ import annotations

import ipaddress
import socket


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses that another device could reach: private ranges
    first, then any other global one; never loopback or link-local."""
    import psutil

    found = []
    for addresses in psutil.net_if_addrs().values():
        for a in addresses:
            if a.family != socket.AF_INET:
                continue
            ip = ipaddress.ip_address(a.address)
            if ip.is_loopback or ip.is_link_local or ip.is_unspecified:
                continue
            found.append(ip)
    found.sort(key=lambda ip: (not ip.is_private, int(ip)))
    return [str(ip) for ip in found]


def public_base_url(public_url: str, listen_ip: str, port: int) -> str:
    """``http://host:port/`` as participants should type it (always ends with ``/``).

    ``public_url`` (e.g. from a reverse proxy, ``https://atelier.example/``) is taken as
    is. A server listening on one address gives that address; one listening on every
    address (0.0.0.0) gives the LAN address; one on loopback only can be reached from this
    machine alone, so it says 127.0.0.1."""
    if public_url:
        return public_url if public_url.endswith("/") else public_url + "/"
    host = listen_ip or "127.0.0.1"
    if host in ("0.0.0.0", "::", "*"):
        lan = lan_addresses()
        host = lan[0] if lan else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"
