"""Messages between a Dask worker and its grading service, over a socket pair:
a JSON header and, optionally, bytes (a packed submission, the pickled
configuration), each message framed by the two lengths."""
import json
import struct

FRAME = struct.Struct("!II")      # the header's length, the payload's length
MAX_HEADER_BYTES = 256 << 20      # a report with a thousand tests' feedback is well under this
MAX_PAYLOAD_BYTES = 256 << 20     # a packed submission is at most a few tens of MiB (intake's limits)


class ChannelBroken(OSError):
    """The other end sent what no end of this channel sends."""


def send(sock, header, payload=b""):
    """Send one message: `header` (JSON-able) and `payload` (bytes)."""
    data = json.dumps(header).encode()
    sock.sendall(FRAME.pack(len(data), len(payload)) + data)
    if payload:
        sock.sendall(payload)


def receive(sock):
    """The next message as (header, payload), or None when the other end has closed."""
    frame = _exactly(sock, FRAME.size)
    if frame is None:
        return None
    header_size, payload_size = FRAME.unpack(frame)
    if header_size > MAX_HEADER_BYTES or payload_size > MAX_PAYLOAD_BYTES:
        raise ChannelBroken(f"a message of {header_size} + {payload_size} bytes")
    header, payload = _exactly(sock, header_size), _exactly(sock, payload_size)
    if header is None or payload is None:
        return None
    try:
        return json.loads(header), payload
    except ValueError as error:
        raise ChannelBroken(f"a header that is not JSON ({error})") from None


def _exactly(sock, size):
    """`size` bytes from `sock`, or None if it closes first."""
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
