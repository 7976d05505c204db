"""A tiny IMAP4rev1 stand-in for tests: one mailbox (INBOX) of messages held in memory,
answering the commands imaplib sends for a poll — CAPABILITY, LOGIN, SELECT, UID SEARCH
UNSEEN, UID FETCH (BODY.PEEK[]), UID STORE +FLAGS (\\Seen), CLOSE, LOGOUT. Not a mail
server: just the other side of the conversation, over a real socket."""

import re
import socketserver
import threading


class Mailbox:
    def __init__(self, user: str, password: str):
        self.user, self.password = user, password
        self.messages: dict[int, bytes] = {}
        self.seen: set[int] = set()
        self.commands: list[str] = []

    def add(self, raw: bytes) -> int:
        uid = len(self.messages) + 1
        self.messages[uid] = raw
        return uid


class _Handler(socketserver.StreamRequestHandler):
    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode())

    def handle(self):  # noqa: C901 - one branch per command, read top to bottom
        box: Mailbox = self.server.mailbox
        self.send("* OK IMAP4rev1 stand-in ready\r\n")
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            tag, _sp, rest = line.partition(" ")
            command, _sp, args = rest.partition(" ")
            command = command.upper()
            box.commands.append(f"{command} {args}".strip())
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n")
            elif command == "LOGIN":
                user, password = [a.strip('"') for a in args.split(" ", 1)]
                ok = (user, password) == (box.user, box.password)
                self.send(f"{tag} OK logged in\r\n" if ok else f"{tag} NO bad login\r\n")
            elif command == "SELECT":
                self.send(f"* {len(box.messages)} EXISTS\r\n{tag} OK [READ-WRITE] done\r\n")
            elif command == "UID":
                sub, _sp, params = args.partition(" ")
                sub = sub.upper()
                if sub == "SEARCH":
                    unseen = " ".join(str(u) for u in box.messages if u not in box.seen)
                    self.send(
                        f"* SEARCH {unseen}\r\n{tag} OK done\r\n".replace("SEARCH \r", "SEARCH\r")
                    )
                elif sub == "FETCH":
                    uid = int(params.split(" ", 1)[0])
                    body = box.messages[uid]
                    self.send(f"* {uid} FETCH (UID {uid} BODY[] {{{len(body)}}}\r\n".encode()
                              + body + b")\r\n" + f"{tag} OK done\r\n".encode())  # fmt: skip
                elif sub == "STORE":
                    uid = int(params.split(" ", 1)[0])
                    if re.search(r"\\Seen", params):
                        box.seen.add(uid)
                    self.send(f"* {uid} FETCH (UID {uid} FLAGS (\\Seen))\r\n{tag} OK done\r\n")
                else:
                    self.send(f"{tag} BAD unknown UID command\r\n")
            elif command == "CLOSE":
                self.send(f"{tag} OK closed\r\n")
            elif command == "LOGOUT":
                self.send(f"* BYE\r\n{tag} OK bye\r\n")
                return
            else:
                self.send(f"{tag} BAD unknown command\r\n")


class ImapStandIn:
    """with ImapStandIn(mailbox) as (host, port): ..."""

    def __init__(self, mailbox: Mailbox):
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.mailbox = mailbox

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.server.server_address

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
