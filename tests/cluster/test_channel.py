"""Do a Dask worker and its grading service understand each other (autograder/cluster/channel.py)?

Messages (a JSON header and bytes) cross a socket pair whole and in order;
the end of the other side is None, never half a message; and a frame no end
of the channel sends (absurd lengths, a header that is not JSON) is refused.
No dask needed.
"""
import socket
import threading

import pytest

from autograder.cluster import channel


def test_messages_cross_whole_and_in_order():
    ours, theirs = socket.socketpair()
    big = bytes(range(256)) * 20000  # larger than a socket buffer: sent while the other side reads
    sender = threading.Thread(target=lambda: [channel.send(ours, {"n": 1}, big), channel.send(ours, {"n": 2}),
                                              ours.close()])
    sender.start()
    assert channel.receive(theirs) == ({"n": 1}, big)
    assert channel.receive(theirs) == ({"n": 2}, b"")
    assert channel.receive(theirs) is None
    sender.join()
    theirs.close()


def test_a_message_cut_short_is_the_end():
    ours, theirs = socket.socketpair()
    ours.sendall(channel.FRAME.pack(10, 5) + b'{"a"')
    ours.close()
    assert channel.receive(theirs) is None
    theirs.close()


@pytest.mark.parametrize("frame", [channel.FRAME.pack(channel.MAX_HEADER_BYTES + 1, 0),
                                   channel.FRAME.pack(2, 0) + b"{x"], ids=["too-long", "not-json"])
def test_frames_no_end_sends_are_refused(frame):
    ours, theirs = socket.socketpair()
    ours.sendall(frame)
    with pytest.raises(channel.ChannelBroken):
        channel.receive(theirs)
    ours.close()
    theirs.close()
