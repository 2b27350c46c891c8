"""A real SMTP server for the tests (aiosmtpd, from PyPI): it accepts mail on a local port and
writes each message to a folder, one JSON file per recipient (its headers, plain-text and HTML
parts decoded by Python's email parser, and the raw message), where the tests read it. Like a real mail server it refuses some addresses: a recipient whose local part starts
with "bounce" gets "550 no such mailbox" (a hard bounce), one starting with "later" gets "451
try again later" (a temporary failure).

    python smtp_sink.py PORT FOLDER
"""

import asyncio
import email
import email.policy
import itertools
import json
import os
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 no such mailbox here"
        if local.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "from": envelope.mail_from,
            "headers": {k.lower(): str(v) for k, v in message.items()},
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
            "raw": raw.decode("utf-8", "replace"),
        }
        for rcpt in envelope.rcpt_tos:
            n = next(self.counter)
            name = f"{os.getpid()}-{n:06d}-{rcpt.lower()}.json"
            tmp = os.path.join(self.folder, "." + name)
            with open(tmp, "w") as f:
                json.dump({**record, "to": rcpt.lower()}, f)
            # Renamed into place: a test never reads half a message.
            os.rename(tmp, os.path.join(self.folder, name))
        return "250 Message accepted for delivery"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink on 127.0.0.1:{port}, writing to {folder}", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
