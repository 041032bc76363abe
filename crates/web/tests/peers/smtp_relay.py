"""A real SMTP relay for the mail tests: aiosmtpd (PyPI) on 127.0.0.1:PORT, requiring STARTTLS
before anything and a login (PLAIN or LOGIN) before any mail, as an agency's relay would.

Usage: smtp_relay.py PORT CERT KEY USER PASSWORD OUT
Each message accepted is appended to OUT as one JSON line: the login it came under, whether
the session was encrypted, the envelope and the message's text. Runs until killed."""
import asyncio
import json
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, out = sys.argv[1:7]
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)


def authenticate(server, session, envelope, mechanism, auth_data):
    good = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == user
        and auth_data.password.decode() == password
    )
    # A refusal is answered 535 by aiosmtpd itself (handled=False), not left hanging.
    return AuthResult(success=good, handled=False, auth_data=auth_data.login.decode() if good else None)


class Keep:
    async def handle_DATA(self, server, session, envelope):
        with open(out, "a", encoding="utf-8") as sink:
            sink.write(json.dumps({
                "login": session.auth_data,
                "tls": session.ssl is not None,
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
            }) + "\n")
        return "250 Message accepted for delivery"


controller = Controller(
    Keep(),
    hostname="127.0.0.1",
    port=int(port),
    tls_context=context,
    require_starttls=True,
    authenticator=authenticate,
    auth_required=True,
    auth_require_tls=True,
)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
