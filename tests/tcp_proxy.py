"""A loopback TCP proxy in front of Dovecot that breaks connections on cue, for the network-fault tests.

Faults are one-shot (``times`` of them) and matched on the bytes going by:

- ``drop_on_command(b"APPEND")``: close both sides when the client sends a command
  containing the text, before the server sees it;
- ``drop_on_reply(b"APPENDUID")``: let the command through, close when the server's
  reply containing the text comes back (the server did it, the client never hears);
- ``stall_on_command(b"UID FETCH")``: forward nothing more on that connection, in
  either direction, until the proxy stops (the client's read timeout must fire);
- ``drop_after_bytes(n)``: close after ``n`` bytes from the server;
- ``on_command(b"UID FETCH", callback)``: call ``callback()`` before forwarding.

``bytes_down`` counts what the server sent through the proxy.
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Fault:
    kind: str
    pattern: bytes = b""
    after: int = 0
    times: int = 1
    callback: Callable[[], None] | None = None
    fired: int = 0


@dataclass
class _Link:
    client: socket.socket
    server: socket.socket
    down: int = 0
    stalled: bool = False
    closed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for sock in (self.client, self.server):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class Proxy:
    """Listens on a free 127.0.0.1 port and forwards each connection to ``target_port``."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.faults: list[Fault] = []
        self.links: list[_Link] = []
        self.connections = 0
        self.bytes_down = 0
        self.commands: list[bytes] = []
        self._lock = threading.Lock()
        self._running = True
        threading.Thread(target=self._accept, daemon=True).start()

    # Faults

    def drop_on_command(self, pattern: bytes, times: int = 1) -> Fault:
        return self._add(Fault("drop_command", pattern, times=times))

    def drop_on_reply(self, pattern: bytes, times: int = 1) -> Fault:
        return self._add(Fault("drop_reply", pattern, times=times))

    def stall_on_command(self, pattern: bytes, times: int = 1) -> Fault:
        return self._add(Fault("stall", pattern, times=times))

    def drop_after_bytes(self, count: int, times: int = 1) -> Fault:
        return self._add(Fault("drop_bytes", after=count, times=times))

    def on_command(self, pattern: bytes, callback: Callable[[], None], times: int = 1) -> Fault:
        return self._add(Fault("hook", pattern, times=times, callback=callback))

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take(self, kind: str, data: bytes, down: int = 0) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.kind != kind or fault.fired >= fault.times:
                    continue
                if kind == "drop_bytes" and down < fault.after:
                    continue
                if fault.pattern and fault.pattern.lower() not in data.lower():
                    continue
                fault.fired += 1
                return fault
        return None

    # Forwarding

    def _accept(self) -> None:
        while self._running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            link = _Link(client, server)
            with self._lock:
                self.links.append(link)
                self.connections += 1
            threading.Thread(target=self._up, args=(link,), daemon=True).start()
            threading.Thread(target=self._down, args=(link,), daemon=True).start()

    def _up(self, link: _Link) -> None:
        while True:
            data = _recv(link.client)
            if not data or link.stalled:
                return self._end(link)
            with self._lock:
                self.commands.append(data[:200])
            hook = self._take("hook", data)
            if hook is not None:
                hook.callback()
            if self._take("drop_command", data):
                return link.close()
            if self._take("stall", data):
                link.stalled = True
                return
            if not _send(link.server, data):
                return link.close()

    def _down(self, link: _Link) -> None:
        while True:
            data = _recv(link.server)
            if not data or link.stalled:
                return self._end(link)
            if self._take("drop_reply", data) or self._take("drop_bytes", b"", link.down + len(data)):
                return link.close()
            link.down += len(data)
            with self._lock:
                self.bytes_down += len(data)
            if not _send(link.client, data):
                return link.close()

    def _end(self, link: _Link) -> None:
        if not link.stalled:
            link.close()

    def close(self) -> None:
        self._running = False
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for link in list(self.links):
            link.close()


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False
