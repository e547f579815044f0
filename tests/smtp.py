"""A real SMTP server on loopback for the tests (aiosmtpd), and what it received, parsed."""

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as the server got it: envelope and the parsed MIME message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        """The ``text/<subtype>`` part, decoded."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, f"no text/{subtype} part"
        return body.get_content()

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")


@dataclass
class Handler:
    """Keeps every message; refuses the next ``refuse`` ones with a temporary error (451)."""

    received: list[Received] = field(default_factory=list)
    refuse: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 Service momentanément indisponible"
            message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """Start with ``start()``, read ``received``, point Django at it with ``mailers_setting()``."""

    def __init__(self):
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def mailers_setting(self) -> dict:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "use_tls": False, "timeout": 5},
            }
        }
