"""A real HTTPS server on 127.0.0.1 serving audio (and misbehaving on purpose) for the https audioUri tests.

Its certificate is made here with `cryptography`: a test CA (written to `ca_file`, which the fetcher trusts
through its CA-bundle setting) signs a server certificate for `audio.example.test`, `*.example.test`,
`localhost`, 127.0.0.1 and ::1. Routes:
  /audio.wav            the audio (Content-Length)
  /chunked.wav          the audio, chunked (no Content-Length)
  /big                  a Content-Length over any sane limit, no body
  /endless              chunked bytes without end
  /slow                 the audio's first bytes, then one byte every 0.2 s
  /status/<n>           that status
  /redirect?to=<url>    302 to <url>;  /loop/<n>  302 to /loop/<n+1>
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NAMES = ("audio.example.test", "*.example.test", "localhost")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate chain, server key) as PEM files in `folder`."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("speech-platform test CA"))
        .issuer_name(_name("speech-platform test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(NAMES[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in NAMES]
                + [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


@dataclass
class AudioServer:
    port: int
    ca_file: Path
    audio: bytes
    #: the paths requested, in order (to show what was, and was not, fetched)
    requested: list[str]

    def url(self, path: str = "/audio.wav", host: str = "audio.example.test") -> str:
        return f"https://{host}:{self.port}{path}"


@contextmanager
def tls_audio_server(audio: bytes, folder: Path, *, bind: str = "127.0.0.1") -> Iterator[AudioServer]:
    ca_file, cert_file, key_file = make_certificates(folder)
    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            if "Content_Length" not in headers and "Transfer_Encoding" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            requested.append(parts.path)
            path = parts.path
            try:
                if path == "/audio.wav":
                    self._send(200, audio, Content_Type="audio/wav")
                elif path == "/chunked.wav":
                    self._send(200, Content_Type="audio/wav", Transfer_Encoding="chunked")
                    for start in range(0, len(audio), 4096):
                        self._chunk(audio[start : start + 4096])
                    self._chunk(b"")
                elif path == "/big":
                    self._send(200, Content_Type="audio/wav", Content_Length=str(10**12))
                elif path == "/endless":
                    self._send(200, Content_Type="audio/wav", Transfer_Encoding="chunked")
                    block = b"\0" * 65536
                    while True:
                        self._chunk(block)
                elif path == "/slow":
                    self._send(200, Content_Type="audio/wav", Content_Length=str(len(audio)))
                    self.wfile.write(audio[:64])
                    self.wfile.flush()
                    for byte in audio[64:]:
                        time.sleep(0.2)
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                elif path.startswith("/status/"):
                    self._send(int(path.rsplit("/", 1)[1]), b"nope")
                elif path == "/redirect":
                    self._send(302, Location=parse_qs(parts.query)["to"][0])
                elif path.startswith("/loop/"):
                    self._send(302, Location=f"/loop/{int(path.rsplit('/', 1)[1]) + 1}")
                else:
                    self._send(404, b"no such audio")
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                pass  # the client hung up on purpose (too large, too slow)

    server = ThreadingHTTPServer((bind, 0), Handler)
    server.daemon_threads = True
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield AudioServer(port=server.server_address[1], ca_file=ca_file, audio=audio, requested=requested)
    finally:
        server.shutdown()
        server.server_close()
