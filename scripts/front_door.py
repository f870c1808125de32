"""`make run`'s front door: one port for the browser, as the reverse proxy of docs/install.md
is in production.

In prefork mode Odoo serves pages from its HTTP workers and the live-update connection
(`/websocket`, the bus) from a separate gevent process on its own port; an HTTP worker asked
for `/websocket` answers 500 ("Couldn't bind the websocket"). This router listens on the
public port and sends each connection to the right one by its first request line: `/websocket`
to the gevent port, everything else to the HTTP workers. Browsers open each WebSocket on a
connection of its own, so one decision per connection is enough. Bytes are relayed as they
are (the Host header too, so Odoo sees the URL the browser used).

Usage: front_door.py <public port> <http workers' port> <gevent port>
"""

import asyncio
import contextlib
import sys

BAD_GATEWAY = (
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n"
    b"Connection: close\r\n\r\nOdoo is not answering.\r\n"
)


async def _relay(reader, writer):
    """Copy until end of stream, then half-close: the other direction may still answer."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


async def _handle(client_reader, client_writer, http_port, gevent_port):
    try:
        first_line = await client_reader.readuntil(b"\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        client_writer.close()
        return
    parts = first_line.split(b" ")
    path = parts[1] if len(parts) > 1 else b"/"
    port = gevent_port if path.startswith(b"/websocket") else http_port
    try:
        odoo_reader, odoo_writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        client_writer.write(BAD_GATEWAY)
        await client_writer.drain()
        client_writer.close()
        return
    odoo_writer.write(first_line)
    await asyncio.gather(_relay(client_reader, odoo_writer), _relay(odoo_reader, client_writer))
    for writer in (odoo_writer, client_writer):
        writer.close()


async def main(public_port, http_port, gevent_port):
    server = await asyncio.start_server(
        lambda reader, writer: _handle(reader, writer, http_port, gevent_port),
        port=public_port,
        reuse_address=True,
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(*(int(arg) for arg in sys.argv[1:4])))
