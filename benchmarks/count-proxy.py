#!/usr/bin/env python3
"""A loopback HTTP proxy in front of the benchmark's registry that counts the request body bytes it forwards, so
"bytes uploaded" is measured at the registry's door whatever the client does (re-uploads count, skipped blobs do not).

    count-proxy.py LISTEN_PORT REGISTRY_HOST:PORT COUNT_FILE

COUNT_FILE always holds the total so far (the benchmark reads it before and after a push)."""
import http.client, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

listen_port, upstream, count_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
total = 0
lock = threading.Lock()


def add(n: int) -> None:
    global total
    with lock:
        total += n
        with open(count_file, "w") as f:
            f.write(str(total))


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def forward(self):
        body = self.body()
        add(len(body))
        connection = http.client.HTTPConnection(upstream, timeout=600)
        try:
            # Header by header: a request may repeat one (Accept), and the Host stays the proxy's, so the registry's
            # Location headers send clients back through the proxy.
            connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for key, value in self.headers.items():
                if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                    connection.putheader(key, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            payload = response.read()
            self.send_response_only(response.status, response.reason)
            for key, value in response.getheaders():
                # HEAD answers keep the registry's Content-Length: it is the blob's size, which clients read.
                if key.lower() in ("transfer-encoding", "connection") or (key.lower() == "content-length" and self.command != "HEAD"):
                    continue
                self.send_header(key, value)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        finally:
            connection.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward


add(0)
ThreadingHTTPServer(("127.0.0.1", listen_port), Proxy).serve_forever()
