"""Behaviour analysis: what a unit of Python does, read from its shape when no tool name gives it away.

Several prohibited activities are written as plain Python: a loop that tries
the lines of a word list against a zip file, threads that send requests to
one address forever, a socket server on every interface that hands out
files.  Names alone cannot tell these from their look-alikes (unzipping with
a known password, a crawler, a tutorial echo server on localhost), so this
package reads the *shape* of the code from the AST and reports it as facts of
kind ``behaviour`` that rule packs match like any other fact::

    - behaviour: "password-trial/*"   # fnmatch glob over the names below

Shapes found (the value of each fact):

``password-trial/archive|hash|login|tool``
    a password candidate that comes from a word source (the lines of a file,
    ``itertools.product`` over a character set, a numeric range, a list of
    passwords) is tried against an archive (``extractall(pwd=...)``,
    ``setpassword``, a PDF ``decrypt``), a hash (a digest of the candidate
    compared with a target), a login (``login(user, pw)``,
    ``connect(password=pw)``, a posted form) or a cracking tool's password
    option, inside the loop or in a function the loop drives (directly, as a
    thread target, through an executor or ``map``).
``flood/http|socket|packet|stream|slow``
    requests, socket sends or raw packets to one fixed, non-local target,
    whose answers are not used, repeated without pause (``while True``
    without a sleep of half a second or more, or tens of thousands of
    iterations) or from many workers (threads, processes, tasks started in a
    loop); ``flood/slow`` is the slowloris and slow-POST shape: sockets opened
    in a loop that are fed partial header lines, or a huge Content-Length,
    with pauses in between; ``flood/stream`` is one connection the unit
    opened itself and then writes to without pause, nothing typed or read in
    between; ``flood/messages`` is one phone number sent texts
    or verification codes again and again, or by each of a collection of
    services (an SMS or call bomber), in ``messages.py``.
``server/files|media|relay|forward|board`` and ``server-local/...``
    a server bound to every interface (``server/``) or to loopback
    (``server-local/``) that serves files or directories (or takes uploads),
    streams media, keeps what visitors post in a database (or a dict or list
    that another route reads) and shows it again (``board``: a guestbook, a message board, a shop, a link
    shortener), or relays traffic (HTTP ``CONNECT``, SOCKS, two sockets
    piped into each other where the outgoing address comes from what was
    received); ``forward`` is two sockets piped to one fixed address on
    another machine.  A loopback server is allowed on its own; packs
    combine ``server-local/*`` with a tunnel to catch it being exposed.
``args/face-onto-video|voice-onto-voice``
    one command's arguments: a Python script given a face photo as its source and a video as its target or
    driving input, or a recording as its source and another as the target voice, in ``arguments.py``; the engine
    reads them from every command fact, so quoted commands never count.
``proxy-trial/loop``
    the proxies mapping of an HTTP client built from each item of a loop, or
    in a function run for each item (a proxy checker, a rotating scraper), in
    ``proxies.py``.
``proxy-trial/draw``
    a proxies mapping or ``proxy=`` argument drawn from a collection (``random.choice``, ``next`` of a cycle,
    ``pool[i % len(pool)]``), handed to a request directly or returned by a function (or a factory's function)
    that the request calls for its proxies, in ``proxies.py``.
``proxy-client/one``
    no proxy trial, and a proxies mapping handed to a request whose values are one fixed address: a client of one
    configured proxy (packs use it to keep the word model quiet), in ``proxies.py``.
``proxy-list/unused``
    proxy lists fetched from a URL that names proxies and nothing sent through any proxy, no socket
    connected: a scraper that only keeps the list (packs use it to keep the word model quiet), in
    ``proxies.py``.
``proxy-remote/socks``
    PySocks' default proxy set to a known host off this machine, however the
    host was hidden, in ``proxies.py``.
``shell/socket``
    a shell started with its standard input and output duplicated from a
    socket (a bind or reverse shell), in ``shells.py``.
``shell/web``
    a shell on a pseudo-terminal whose terminal is written with what a web handler, a websocket or a socket
    received: a web terminal written by hand, in ``shells.py``.
``mining/pow``
    a nonce loop whose digest, read as a number, is compared with a target,
    and whose find is sent off (a socket, an HTTP request, a ``submit``): a
    miner written in plain Python, in ``mining.py``.
``obscured/exec|run|names``
    code run, a command started, or two or more modules and functions reached
    through text the unit decodes from its own literals (a blob, a reversed
    or rot13 name, character codes), in ``hiding.py``: the hiding is the
    shape, whatever the hidden code does.

Everything here is total (bad trees give no shapes, never an exception in the
caller: :func:`find` catches) and linear in the size of the tree.

One file per family: ``trials.py`` (password trials), ``floods.py`` (floods, with ``sends.py``: what a call
sends, where to, and whether its answer is read), ``messages.py`` (message storms), ``servers.py`` (servers,
with ``handlers.py``: what a hand-written handler sends or keeps of what its client chose) and
``proxies.py`` (proxy trials), each reading the one walk over the unit in ``unit.py`` (which also defines
:class:`Found`); ``shells.py`` holds the socket shells and ``mining.py`` the nonce searches.  This file holds the
trigger words and :func:`find`, which runs them all.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from typing import Any

import ahocorasick

from .arguments import command_shapes
from .floods import _floods
from .hiding import _hidden_code
from .messages import KEYBOARD_MODULES, _message_storms
from .mining import _pow_submits
from .proxies import _proxy_clients, _proxy_lists_unused, _remote_default_proxy
from .servers import _servers
from .shells import _socket_shells
from .trials import SEED_PASSPHRASES, WALLET_OPENERS, _password_trials
from .unit import Found, _Unit

__all__ = ["ALL_TRIGGERS", "COMMAND_TRIGGERS", "TRIGGERS", "WANTED", "Found", "command_shapes", "find", "triggers_for",
           "wanted"]


# Words whose presence makes the pass worth running (lower case).  The engine also adds them to its prefilter
# for every rule that uses a shape of that family, so they are words ordinary notebooks rarely hold; a shape
# whose only words are common (``subprocess.run(['unzip', '-P', p])``, ``while True: requests.get(u)``) is
# reached through them or through the engine's own triggers (``subprocess``), and the words in WANTED decide
# whether the pass runs once the cell is analysed anyway.
# a proxies mapping of an HTTP client as the source spells it (its keys, or the keyword it is passed as)
_PROXY_MAP_WORDS = ("{'http':", '{"http":', "{'https':", '{"https":', "{'http://':", '{"http://":', "{'https://':",
                    '{"https://":', "proxies=")
TRIGGERS: dict[str, tuple[str, ...]] = {
    "password-trial": ("pwd=", "password=", "setpassword", "passwd=", ".login(", "checkpw", "hexdigest", "crypt(", "decrypt(",
                       "authenticate(", "sshpass", "pxssh", "ftplib", "steghide", "itertools.product", "send_keys(",
                       "rockyou", "md5(", "sha1(", "sha256(", "sha512(", "md5sumhex(", "sha1sumhex(",
                       "sha256sumhex(", "sha512sumhex(", "auth=(", "load_key(", "ssh-keygen",
                       # a wallet's keystore opened with a password (decrypt is above), seed words with a passphrase
                       *sorted(f"{name.lower()}(" for name in (WALLET_OPENERS - {"decrypt"}) | SEED_PASSPHRASES)),
    "flood": ("while true", "while 1", "thread(", "process(", "(thread)", ".thread)", "(process)", ".process)",
              "threadpoolexecutor", "gather(", "sendto(", "sock_raw", "socket.socket(", ".connect((",
              "scapy", "create_task(", "open_connection(", "create_connection(", "range(10000", "range(100000",
              "range(1000000", "range(10_000", "range(100_000", "range(1_000_000", "sms", "otp", "send_sms",
              "sendsms", "send_otp", "sendotp", "services.get(", ".sendmail(", "aiosmtplib",
              # a bot's sends (a raid or DM bomber repeats one of them)
              "ctx.send(", "channel.send(", "user.send(", "member.send(", ".send_message(", ".respond(", "messages.create(",
              "calls.create(", "call.create(",
              "pywhatkit", "pyautogui", "pynput", "import keyboard", "send_keys(",
              # a request line written by hand into a socket (as the source spells it): slowloris's start
              "http/1.1\\r\\n", "http/1.0\\r\\n"),
    "proxy-trial": _PROXY_MAP_WORDS,
    "proxy-client": _PROXY_MAP_WORDS,
    "proxy-remote": ("set_default_proxy", "setdefaultproxy"),
    # the sources of public proxy lists as their URLs spell them
    "proxy-list": ("proxy-list", "proxylist", "proxy_list", "proxyscrape", "free-proxy", "freeproxy", "sslproxies",
                   "socks-proxy", "/proxies", "/proxy", "proxies.txt", "/socks5.txt", "/socks4.txt", "/http.txt"),
    # a nonce search read as a number: a hand-written miner (the submit may be spelled at run time)
    "mining": ("nonce", "from_bytes("),
    # a shell handed a socket (stdin=s.fileno()) is reached through the flood and server words its socket brings
    # (socket.socket(, .connect((, .bind(): fileno() alone is in every file-descriptor lesson
    "shell": ("dup2(", "pty.spawn(", "pty.fork(", "openpty(", "forkpty("),
    # the decoding steps that spell names and code (a step alone is data; the shape needs it to reach exec, a command
    # or a look-up), and look-ups by computed name, whose step may be a helper with none of those words (XOR);
    # decompress( is left out (data is decompressed everywhere, and hidden code that does also carries one of
    # these); .translate( is rare in real notebooks (12 of 66,688 cells) and is how substitution tables hide blobs
    "obscured": ("[::-1]", "b64decode", "b85decode", "b32decode", "a85decode", "fromhex", "unhexlify", "rot13",
                 "rot_13", "chr(", "map(chr", ".translate(", "__import__(", "import_module(", "globals()[",
                 "vars("),
    "server": ("0.0.0.0", ".bind(", "httpserver", "tcpserver", "run_app(", "start_server(", "'connect'",
               '"connect"', "do_connect", "send_file", "send_from_directory", "fileresponse", "staticfiles",
               "x-mixed-replace", "uploadfile", "request.files", "simplehttprequesthandler", "ftpserver", "ftphandler",
               "autoindex("),
}
# shapes of one command's arguments (arguments.py), matched by the engine on command facts: their words wake the
# engine's deep analysis but not the Python pass (they are not in ALL_TRIGGERS)
COMMAND_TRIGGERS: dict[str, tuple[str, ...]] = {
    "args": (".mp4", ".mov", ".avi", ".webm", ".mkv", ".wav", ".mp3", ".flac", "swapper", "faceswap", "face_swap",
             "face-swap", "swap_face", "swapface"),
}
WANTED = ("unzip", "7z", "unrar", "login -", "urlopen(", "requests.", "httpx", "aiohttp", ".listen(", "serve(")
# modules whose import a shape check asks about (unit.imports): imported in one cell and used in a later one,
# they link the two cells like a function defined in one and called in the other
SHAPE_MODULES = (*KEYBOARD_MODULES, "scapy")
ALL_TRIGGERS = tuple(sorted({w for words in TRIGGERS.values() for w in words} | set(WANTED)))
_WANTED = ahocorasick.Automaton()  # one pass for all the words: a regex alternation of them cost 0.1 ms a cell
for _word in ALL_TRIGGERS:
    _WANTED.add_word(_word, _word)
_WANTED.make_automaton()


_ODD_TREE = (RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError)
# the test suite sets NBWARDEN_STRICT_SHAPES=1: a family that trips there is a bug to see, not a tree to forgive
STRICT = os.environ.get("NBWARDEN_STRICT_SHAPES") == "1"
_FAMILIES = (_password_trials, _floods, _message_storms, _servers, _proxy_clients, _proxy_lists_unused,
             _remote_default_proxy, _socket_shells, _pow_submits, _hidden_code)


def triggers_for(glob: str) -> list[str]:
    """The trigger words of every shape family a ``behaviour:`` glob can match."""
    import fnmatch

    return [w for family, words in (*TRIGGERS.items(), *COMMAND_TRIGGERS.items())
            if fnmatch.fnmatchcase(family, glob.split("/", 1)[0]) or fnmatch.fnmatchcase(family + "/x", glob)
            for w in words]


def wanted(low_source: str) -> bool:
    """Is any shape's trigger word in this (lower-cased) source?"""
    return next(_WANTED.iter(low_source), None) is not None


def find(tree: ast.AST, fold: Callable[[ast.AST], Any] | None = None,
         reference: Callable[[ast.AST], str | None] | None = None, read_lines: frozenset[int] = frozenset()) -> list[Found]:
    """Every shape in a parsed unit; [] when the tree is odd in a way the checks did not expect.
    ``fold`` and ``reference`` are the Python pass's readings of values and of look-up calls; ``read_lines`` the
    lines where it read the code a call runs or the command it starts (the hiding shapes leave those alone)."""
    try:
        unit = _Unit(tree, fold or (lambda node: None), reference or (lambda node: None), read_lines)
    except _ODD_TREE:
        return []
    found: list[Found] = []
    for family in _FAMILIES:  # one family tripped by an odd tree loses its own shapes, not the others'
        try:
            found += family(unit)
        except _ODD_TREE:
            if STRICT:
                raise
            continue
    return found
