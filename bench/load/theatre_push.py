"""The push mode's streams for bench/theatres.py: per theatre the tablet's server-sent events
(``/events/cases/<case>/``) and the wall display's (``/events/rooms/<room>/``), held open by one
asyncio thread in each client process, as browsers hold EventSource connections.

A stream is plain HTTP/1.1: a GET with the device's cookies (and X-Forwarded-Proto: https, as
the TLS proxy in front would send), then ``text/event-stream`` lines, chunked or not. When the
server ends a stream, the client reconnects after the ``retry`` it was told, as EventSource
does; an error or a refusal is a failure, and so is a stream not connected at the level's end.
"""

import asyncio
import codecs
import math
import re
import ssl
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from bench.load.browser import USER_AGENT, tls_ports

CONNECTING_AT_ONCE = 32  # handshakes in flight per client process: a storm, but not a flood
HEADERS_TIMEOUT = 30.0
DEFAULT_RETRY_MS = 3000  # EventSource's usual wait before it reconnects
LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Event:
    type: str
    data: str


class EventParser:
    """``text/event-stream`` as the HTML standard reads it: UTF-8, lines ending in CRLF, LF or
    CR, ``field: value`` (one space after the colon dropped), ``:`` a comment, a blank line
    dispatching the event gathered so far (``message`` unless ``event`` named it; none without
    ``data``). Bytes may arrive cut anywhere, even inside a character or between CR and LF."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._after_cr = False
        self._type = ""
        self._data: list[str] = []
        self.retry_ms: int | None = None
        self.comments = 0

    def feed(self, chunk: bytes) -> list[Event]:
        text = self._decoder.decode(chunk)
        if self._after_cr and text:
            text = text.removeprefix("\n")  # the LF of a CRLF cut after its CR
            self._after_cr = False
        if not text:
            return []
        lines = LINE_END.split(self._pending + text)
        self._pending = lines.pop()
        self._after_cr = not self._pending and text.endswith("\r")
        events = []
        for line in lines:
            if (event := self._line(line)) is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> Event | None:
        if not line:
            event = Event(self._type or "message", "\n".join(self._data)) if self._data else None
            self._type, self._data = "", []
            return event
        if line.startswith(":"):
            self.comments += 1
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._type = value
        elif name == "data":
            self._data.append(value)
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None


class StreamRefused(Exception):
    """The server answered the stream's GET with something else than an event stream."""


@dataclass
class Stream:
    index: int  # the theatre's, in the client process's list
    device: str  # "tablet" or "wall"
    path: str
    cookies: dict[str, str]
    connected: bool = False
    connections: int = 0
    first_connected_at: float | None = None
    retry_ms: int = DEFAULT_RETRY_MS


# What a stream's owner hears: (theatre index, device, event, when it arrived).
OnEvent = Callable[[int, str, Event, float], None]


class Streams:
    """Every stream of one client process, in an asyncio loop on its own thread. ``on_event``
    runs on that thread, for every event, as it arrives: it must be quick."""

    def __init__(
        self, port: int, streams: list[Stream], on_event: OnEvent, end_at: float = math.inf
    ) -> None:
        self.port, self.streams, self.on_event, self.end_at = port, streams, on_event, end_at
        self.failures: Counter = Counter()
        self.open_at_end: int | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._stopping = asyncio.Event()  # bound to the loop that first waits on it
        self._thread = threading.Thread(target=self._run, daemon=True, name="event-streams")
        self._tls = str(port) in tls_ports()
        self.started_at = 0.0

    def seconds_to_connect(self) -> float | None:
        """From the start until the last stream first connected (None: one never did)."""
        firsts = [stream.first_connected_at for stream in self.streams]
        known = [at for at in firsts if at is not None]
        if not firsts or len(known) < len(firsts):
            return None
        return max(known) - self.started_at

    def start(self) -> None:
        self.started_at = time.time()
        self._thread.start()

    def open_now(self) -> int:
        return sum(stream.connected for stream in self.streams)

    def wait_until_connected(self, timeout: float) -> int:
        """Until every stream is connected, or ``timeout`` seconds; how many are."""
        give_up = time.time() + timeout
        while (connected := self.open_now()) < len(self.streams) and time.time() < give_up:
            time.sleep(0.05)
        return connected

    def count_at(self, end_at: float) -> None:
        """Count the streams open at ``end_at`` (known once the level's start is)."""
        self._loop.call_soon_threadsafe(self._count_at, end_at)

    def _count_at(self, end_at: float) -> None:
        self.end_at = end_at
        self._loop.call_later(max(0.0, end_at - time.time()), self._count)

    def _count(self) -> None:
        if self.open_at_end is None:
            self.open_at_end = self.open_now()

    def stop(self) -> None:
        """Close every stream and end the thread (after ``end_at``'s count is taken)."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=60)

    def fail(self, what: str) -> None:
        with self._lock:
            self.failures[what] += 1

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
        tasks = [asyncio.create_task(self._hold(stream, gate)) for stream in self.streams]
        if self.end_at != math.inf:
            self._count_at(self.end_at)
        await self._stopping.wait()
        # Told to stop: the clients do, right at the level's end, at times before this loop's
        # own timer has fired.
        self._count()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _hold(self, stream: Stream, gate: asyncio.Semaphore) -> None:
        """One stream, for as long as the level lasts: reconnected when it ends or fails."""
        while not self._stopping.is_set():
            try:
                await self._listen(stream, gate)
            except asyncio.CancelledError:
                raise
            except StreamRefused as refused:
                self.fail(f"{stream.device} stream: {refused}")
            except Exception as error:  # counted, and shown in the results
                self.fail(f"{stream.device} stream: {type(error).__name__}")
            finally:
                stream.connected = False
            await asyncio.sleep(stream.retry_ms / 1000)

    async def _listen(self, stream: Stream, gate: asyncio.Semaphore) -> None:
        """Connect, check the answer, then hand over each event until the server ends it."""
        async with gate:
            reader, writer = await asyncio.wait_for(self._connect(), HEADERS_TIMEOUT)
            try:
                writer.write(request_bytes(self.port, stream.path, stream.cookies))
                await writer.drain()
                chunked = await asyncio.wait_for(read_headers(reader), HEADERS_TIMEOUT)
            except BaseException:
                writer.close()
                raise
        parser = EventParser()
        stream.connected, stream.connections = True, stream.connections + 1
        stream.first_connected_at = stream.first_connected_at or time.time()
        try:
            async for chunk in read_body(reader, chunked=chunked):
                arrived = time.time()
                for event in parser.feed(chunk):
                    self.on_event(stream.index, stream.device, event, arrived)
                if parser.retry_ms is not None:
                    stream.retry_ms = parser.retry_ms
        finally:
            stream.connected = False
            writer.close()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if not self._tls:
            return await asyncio.open_connection("127.0.0.1", self.port)
        context = ssl.create_default_context()  # the run's own certificate: not verified
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return await asyncio.open_connection("127.0.0.1", self.port, ssl=context)


def request_bytes(port: int, path: str, cookies: dict[str, str]) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "X-Forwarded-Proto: https",
        f"User-Agent: {USER_AGENT}",
        "Accept: text/event-stream",
        "Cache-Control: no-cache",
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def read_headers(reader: asyncio.StreamReader) -> bool:
    """The status line and headers; whether the body is chunked. Anything but a 200 event
    stream is refused, by its status."""
    status_line = (await reader.readline()).decode("latin-1")
    if not status_line:
        raise ConnectionResetError("closed before answering")
    parts = status_line.split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers: dict[str, str] = {}
    while (line := (await reader.readline()).decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if status != 200:
        raise StreamRefused(f"HTTP {status}")
    if not headers.get("content-type", "").startswith("text/event-stream"):
        raise StreamRefused(f"Content-Type {headers.get('content-type', 'missing')}")
    return "chunked" in headers.get("transfer-encoding", "").lower()


async def read_body(reader: asyncio.StreamReader, *, chunked: bool) -> AsyncIterator[bytes]:
    """The body's bytes as they come, until the server ends it (chunked: its last chunk)."""
    if not chunked:
        while data := await reader.read(65536):
            yield data
        return
    while True:
        size_line = await reader.readline()
        if not size_line:
            raise ConnectionResetError("closed inside a chunked body")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            return  # the last chunk: the stream ended as the server meant it to
        yield await reader.readexactly(size)
        await reader.readexactly(2)  # the CRLF after each chunk
