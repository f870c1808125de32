"""A TCP forwarder in front of PostgreSQL that a test can take down and bring back up.

Odoo connects to PostgreSQL through it; `down()` refuses new connections and cuts the open
ones, as a PostgreSQL restart does, without touching the real server (other databases on the
machine keep working); `up()` accepts connections again on the same port.
"""

import contextlib
import socket
import threading

from odoo.tools import config


def upstream_address():
    """Where Odoo's configuration says PostgreSQL listens: (family, address)."""
    host, port = config["db_host"] or "", int(config["db_port"] or 5432)
    if not host or host.startswith("/"):
        return socket.AF_UNIX, f"{host or '/var/run/postgresql'}/.s.PGSQL.{port}"
    return socket.AF_INET, (host, port)


class PgProxy:
    def __init__(self):
        self.family, self.address = upstream_address()
        self.port = None
        self.listener = None
        self.sockets = set()
        self.lock = threading.Lock()

    def up(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def down(self):
        """Refuse new connections and cut every open one."""
        listener, self.listener = self.listener, None
        if listener:
            # shutdown() wakes the thread blocked in accept() (close() alone does not, and the
            # port would stay bound); the port is then free for up().
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self.lock:
            sockets, self.sockets = self.sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                server = socket.socket(self.family, socket.SOCK_STREAM)
                server.connect(self.address)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
