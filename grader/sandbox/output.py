"""Drain a child's output pipe in a thread, keeping a bounded head and tail."""

from __future__ import annotations

import threading
from typing import IO


class CappedOutput:
    """Reads a stream to EOF; keeps at most ``cap`` bytes (head + tail) and counts the rest."""

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        self._stream = stream
        self._half = max(cap // 2, 1)
        self._head = bytearray()
        self._tail = bytearray()
        self.total_bytes = 0
        self._lock = threading.Lock()  # readers see head, tail and total_bytes of one moment
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while chunk := self._stream.read1(65536):  # type: ignore[attr-defined]
                with self._lock:
                    self._keep(chunk)
        except (OSError, ValueError):
            pass

    def _keep(self, chunk: bytes) -> None:
        self.total_bytes += len(chunk)
        room = self._half - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self._tail += chunk
            if len(self._tail) > 2 * self._half:
                del self._tail[: len(self._tail) - self._half]

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the drain thread (the pipe closes when every writer has exited)."""
        self._thread.join(timeout)

    @property
    def truncated(self) -> bool:
        """True when more was written than kept."""
        return self.total_bytes > len(self._head) + len(self._tail[-self._half :])

    def position(self) -> int:
        """The number of bytes written so far: an offset for :meth:`since`."""
        with self._lock:
            return self.total_bytes

    def since(self, offset: int) -> tuple[str, bool]:
        """The text written after byte ``offset``, and whether all of it was kept.

        A reader that takes the offset just before it makes the process write, and reads soon
        after, gets every byte: the newest ``cap / 2`` bytes at least are always kept.
        """
        with self._lock:
            total, head, tail = self.total_bytes, bytes(self._head), bytes(self._tail)
        tail_start = total - len(tail)
        if offset >= tail_start:
            return tail[offset - tail_start :].decode("utf-8", "replace"), True
        kept = head[offset:] if offset < len(head) else b""
        return (kept + tail).decode("utf-8", "replace"), tail_start == len(head)

    def text(self) -> str:
        """The kept output, with a marker where the middle was dropped."""
        with self._lock:
            return self._text()

    def _text(self) -> str:
        tail = bytes(self._tail[-self._half :])
        if self.truncated:
            dropped = self.total_bytes - len(self._head) - len(tail)
            body = (
                bytes(self._head)
                + f"\n[... {dropped} bytes of output dropped ...]\n".encode()
                + tail
            )
        else:
            body = bytes(self._head) + tail
        return body.decode("utf-8", "replace")

    def last_lines(self, n: int = 15) -> str:
        """The last ``n`` lines of the kept output (for feedback), at most ``FEEDBACK_CHARS`` long."""
        return tail_lines(self.text(), n)


FEEDBACK_CHARS = 3000


def tail_lines(text: str, n: int, max_chars: int = FEEDBACK_CHARS) -> str:
    """The last ``n`` lines of ``text``, cut to their last ``max_chars`` characters.

    Output quoted in feedback stays short even when a submission prints one endless line.
    """
    tail = "\n".join(text.rstrip().splitlines()[-n:])
    if len(tail) > max_chars:
        tail = f"[... {len(tail) - max_chars} characters cut ...]" + tail[-max_chars:]
    return tail
