"""`discogs-site serve`'s preview server: a reader leaving mid-download prints nothing, and no symbolic link
leads out of the site."""

from __future__ import annotations

import socket
import struct
import threading
import time
import urllib.error
import urllib.request

from pipeline.site.serve import site_server


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


def _get(server, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}{path}", timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_a_symbolic_link_out_of_the_site_is_not_served(tmp_path):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    (site / "u").mkdir(parents=True)
    (elsewhere / "state").mkdir(parents=True)
    (site / "index.html").write_text("home")
    (site / "404.html").write_text("not here")
    (site / "u" / "page.html").write_text("a page")
    (elsewhere / "passwd.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (elsewhere / "state" / "al.json").write_text('{"token": "secret"}')
    (elsewhere / "state" / "index.html").write_text("state index")
    (site / "passwd.txt").symlink_to(elsewhere / "passwd.txt")  # an operator's link to a file outside
    (site / "statelink").symlink_to(elsewhere / "state", target_is_directory=True)  # and to a folder
    (site / "u" / "mine").symlink_to(elsewhere / "state", target_is_directory=True)
    (site / "u" / "x").mkdir()
    (site / "u" / "x" / "index.html").symlink_to(elsewhere / "passwd.txt")  # a folder's page linked out
    (site / "same.html").symlink_to(site / "u" / "page.html")  # a link that stays inside is the site
    server = site_server(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in ("/passwd.txt", "/statelink/al.json", "/statelink/", "/u/mine/", "/u/mine/index.html", "/u/x/",
                     "/u/x/index.html"):
            assert _get(server, path) == (404, b"not here"), path
        assert _get(server, "/same.html") == (200, b"a page")
        assert _get(server, "/u/page.html") == (200, b"a page")
        assert _get(server, "/") == (200, b"home")
        (site / "404.html").unlink()
        (site / "404.html").symlink_to(elsewhere / "passwd.txt")
        status, body = _get(server, "/missing")
        assert status == 404 and b"root:" not in body
    finally:
        server.shutdown()
        server.server_close()
