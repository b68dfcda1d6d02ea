"""`discogs-site serve`'s preview server: a reader leaving mid-download prints nothing."""

from __future__ import annotations

import socket
import struct
import threading
import time

from pipeline.serve import site_server


def test_a_reader_leaving_mid_download_prints_no_trace(tmp_path, capfd):
    (tmp_path / "big.json").write_bytes(b"x" * 20_000_000)
    server = site_server(tmp_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for _ in range(3):
            client = socket.create_connection(server.server_address)
            client.sendall(b"GET /big.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            client.recv(1024)  # the download has started
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # reset: the server's next write fails
        time.sleep(0.5)
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capfd.readouterr().err
