"""``flood/messages``: one phone number sent texts or verification codes over and over, by many services or
in a loop: the shape of an SMS or call bomber, whatever its words; one mail address sent the same mail over
and over through SMTP (an email bomber); one chat, channel or user sent the same message over and over by a
bot (a Discord or Telegram raid or DM bomber); and the same text typed and sent with Enter over and over by
keyboard automation (a WhatsApp or chat spam bot driving the desktop with pyautogui, pynput or keyboard).

A bomber keeps the number fixed and repeats the send (rounds, threads, a list of services that each text the
number).  Its look-alikes send once (a login code), send to many numbers (a notifier iterating over its
recipients) or retry a few times (``range(3)``, or ``while`` until one attempt works and the loop breaks);
none of those is found here.
"""

from __future__ import annotations

import ast
import re

from .floods import _count, _paced, _workers
from .unit import FUNCTIONS, LOOPS, Found, _derived, _loop_iters, _loop_targets, _names, _params, _Unit

PHONE = re.compile(r"(phone|mobile|msisdn|number|nomor|numero|telefon|victim)", re.I)
# what a sending callee or URL is named for (``sendwhatmsg``, ``client.messages.create``, ``/send-otp``), and the
# voice-call APIs a call bomber rings with (Twilio's ``client.calls.create``, Telnyx's ``Call.create``)
MESSAGING = re.compile(r"(sms|otp|verif|whatsapp|bomb|send_?code|msg|messag|calls?\.create|make_?call|create_?call|"
                       r"place_?call)", re.I)
URL_IN_TEXT = re.compile(r"https?://[^\s'\",]+")
SERVICES = re.compile(r"(services?|apis?|providers?|senders?|sites?|methods?|bombers?)$", re.I)
FEW = 5  # a loop of fewer rounds than this is a retry or a test, not a storm
MAIL_PACE_S = 60  # a mail loop that waits this long per round is a notifier (an hourly report), not a bomber
# a bot's sends: discord.py/pycord (ctx.send, channel.send, user.send), aiogram, python-telegram-bot, telebot
CHAT_SENDS = frozenset({"send", "send_message", "sendMessage", "reply", "respond"})
# what a bot waits for inside a loop that talks with someone (each round answers a message), not at someone
CHAT_WAITS = frozenset({"wait_for", "get_updates", "getUpdates", "input", "recv", "receive", "get_response"})
# whom a bot's send goes to (a websocket's or a stream's awaited send is not a chat's)
CHAT_PEER = re.compile(r"(ctx|channel|user|member|author|guild|dm|chat|thread|interaction|webhook|target|victim)", re.I)
# what a short-named peer was got from (``ch = client.get_channel(ID)``): only the getter's own name counts, since
# an argument's name (``ws = connect(target)``) says nothing of what the peer is
CHAT_GETTER_WORDS = frozenset({"channel", "user", "member", "guild", "dm", "chat", "thread", "webhook"})
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")  # get_channel, fetchUser, createDM: their words
# keyboard automation: what types a text, and the keys that send it
TYPING = frozenset({"typewrite", "write", "type", "send_keys"})
KEYBOARD_MODULES = ("pyautogui", "pynput", "keyboard")
CLIPBOARD_SETS = frozenset({"copy", "setClipboardText", "SetClipboardText", "set_clipboard"})
ENTER_KEYS = frozenset({"enter", "return", "\n"})
SEND_BUTTON = re.compile(r"send(?!_keys)", re.I)


def _message_storms(unit: _Unit) -> list[Found]:
    typed = _typed_storm(unit)
    if typed is not None:
        return [typed]
    for call in unit.calls:
        short = unit.name(call).rsplit(".", 1)[-1]
        recipient = _mail_recipient(unit, call, short)
        if recipient is not None:
            found = _mail_storm(unit, call, recipient)
            if found is not None:
                return [found]
            continue
        if short in CHAT_SENDS:
            found = _chat_storm(unit, call)
            if found is not None:
                return [found]
        phone = _phone_arg(unit, call)
        if phone is None or not (MESSAGING.search(unit.name(call)) or _service_callee(unit, call) or
                                 _messaging_url(unit, call) or _messaging_form(call)):
            continue
        where = _repeated(unit, call, phone, 0)
        if where is not None and not (isinstance(where, LOOPS) and _paced(unit, where, MAIL_PACE_S)):
            return [Found("flood/messages", call.lineno, f"the same number ({phone}) is sent messages again and "
                          f"again or by many services (line {where.lineno})")]
    return []


def _typed_storm(unit: _Unit) -> Found | None:
    """A loop of many rounds (or an endless one) that types a text (``pyautogui.write(msg)``, ``keyboard.type``,
    a browser's ``send_keys``, or pastes it with ctrl+v) and presses Enter, with the same text every round: a chat
    spam bot driving the desktop or a browser.  Its look-alikes type each row of a file (the text changes with the loop), press Enter a few
    times, press keys without typing a text (a game macro) or post a reminder every minute or more."""
    if not any(unit.imports(m) for m in (*KEYBOARD_MODULES, "selenium")):
        return None
    sends = [c for c in unit.calls if _presses_enter(unit, c)]
    for send in sends:
        for loop in unit.loops_around(send):
            if not isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
                continue
            typing = [c for c in ast.walk(loop) if isinstance(c, ast.Call) and _types_text(unit, c)]
            if not typing:
                continue
            # what is typed, or put on the clipboard to be pasted (pyperclip.copy(row))
            pasted = [c for c in ast.walk(loop) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and
                      c.func.attr in CLIPBOARD_SETS]
            content = set().union(*(_names(a) for c in (*typing, *pasted) for a in c.args))
            if isinstance(loop, (ast.For, ast.AsyncFor)) and (_loop_targets(loop) & content or _few(unit, loop.iter)):
                return None
            if isinstance(loop, ast.While) and _stops(loop) or _paced(unit, loop, MAIL_PACE_S):
                return None
            return Found("flood/messages", send.lineno, f"the same text is typed and sent (Enter or the send button) again and again "
                         f"(line {loop.lineno})")
    return None


def _types_text(unit: _Unit, call: ast.Call) -> bool:
    """``pyautogui.write(msg)``, ``keyboard.type(text)`` (not Enter alone), or a paste: ``hotkey('ctrl', 'v')``."""
    if not _keyboard(unit, call):
        return False
    short = call.func.attr
    if short == "hotkey":
        return [unit.value(a) for a in call.args][-2:] in (["ctrl", "v"], ["command", "v"])
    if short not in TYPING or not call.args:
        return False
    first = unit.value(call.args[0])
    return not (isinstance(first, str) and first.strip() == "")  # typing "\n" alone is the Enter press


def _presses_enter(unit: _Unit, call: ast.Call) -> bool:
    """Enter pressed by keyboard automation: ``press('enter')``, ``press(Key.enter)``, ``typewrite('\\n')``, or a
    typed text that ends with a newline; or, in a browser, a click on the send button."""
    if isinstance(call.func, ast.Attribute) and call.func.attr == "click" and not call.args and \
            unit.imports("selenium"):
        return _send_button(unit, call.func.value)
    if not _keyboard(unit, call) or call.func.attr not in {"press", "press_and_release", "tap", *TYPING} or \
            not call.args:
        return False
    arg = call.args[0]
    if isinstance(arg, ast.Attribute) and arg.attr.lower() in ENTER_KEYS:  # Key.enter, Keys.ENTER
        return True
    if isinstance(arg, ast.BinOp):  # write(msg + "\n")
        arg = arg.right
    value = unit.value(arg)
    return isinstance(value, str) and (value.lower() in ENTER_KEYS or call.func.attr in TYPING and value.endswith("\n"))


def _send_button(unit: _Unit, element: ast.AST) -> bool:
    """Is the element clicked a chat's send button, by its name or its locator (``send_button.click()``,
    ``driver.find_element(By.XPATH, "//span[@data-icon='send']").click()``)?"""
    bound = unit.bound_once(element)
    text = ast.unparse(element) + (ast.unparse(bound) if bound is not None else "")
    return SEND_BUTTON.search(text) is not None


def _keyboard(unit: _Unit, call: ast.Call) -> bool:
    """A method of a keyboard automation module (``pyautogui.press``, ``pg.write`` through its alias), of a
    pynput ``Controller()`` bound to a name, or selenium's ``send_keys``; never a file's ``write``."""
    if not isinstance(call.func, ast.Attribute):
        return False
    if unit.name(call).split(".", 1)[0] in KEYBOARD_MODULES:
        return True
    if call.func.attr == "send_keys" and unit.imports("selenium"):
        return True  # a browser's text box typed into (web.whatsapp.com driven by selenium)
    owner = unit.bound_once(call.func.value)
    return isinstance(owner, ast.Call) and unit.name(owner).endswith("Controller")


def _mail_recipient(unit: _Unit, call: ast.Call, short: str) -> ast.AST | None:
    """Whom a mail send goes to: ``smtp.sendmail(sender, to, msg)``; ``smtp.send_message(msg)`` with the
    recipient set on the message (``msg['To'] = to``) or given as ``to_addrs``; yagmail's ``yag.send(to=...)``;
    ``aiosmtplib.send(msg, ...)`` like ``send_message``, or its ``recipients=``.
    None for any other call (a chat bot's ``send_message(chat_id, text)`` sets no ``'To'`` on its argument)."""
    if short == "sendmail":
        return call.args[1] if len(call.args) > 1 else unit.keyword(call, "to_addrs")
    if short == "send" and unit.imports("yagmail"):
        return unit.keyword(call, "to") or (call.args[0] if call.args else None)
    if short == "send" and unit.name(call) == "aiosmtplib.send":  # send(msg, hostname=...): recipients= or msg['To']
        given = unit.keyword(call, "recipients")
        if given is not None:
            return given
        short = "send_message"
    if short != "send_message" or not call.args:
        return None
    given = unit.keyword(call, "to_addrs") or (call.args[2] if len(call.args) > 2 else None)
    if given is not None:
        return given
    scope: ast.AST | None = None
    if isinstance(call.args[0], ast.Call):  # send_message(make(i)), send_message(ops['m'](i)): the maker's message
        maker = unit.functions.get(unit.name(call.args[0]).rsplit(".", 1)[-1], [None])[0]
        returned = [r.value.id for r in ast.walk(maker) if isinstance(r, ast.Return) and isinstance(r.value, ast.Name)] \
            if maker is not None else []
        if len(returned) != 1:
            return None
        message, scope = returned[0], maker
    elif isinstance(call.args[0], ast.Name):
        message = call.args[0].id
    else:
        return None
    for node in unit.subscripts:
        if scope is not None and unit.function_of(node) is not scope:
            continue
        assign = unit.parent.get(id(node))
        if isinstance(assign, ast.Tuple):  # msg['From'], msg['To'] = me, to
            assign, value = unit.parent.get(id(assign)), assign.elts.index(node)
        else:
            value = None
        if not (isinstance(assign, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == message
                and isinstance(node.ctx, ast.Store) and str(unit.value(node.slice)).lower() == "to"):
            continue
        found = assign.value if value is None else assign.value.elts[value] \
            if isinstance(assign.value, ast.Tuple) and len(assign.value.elts) > value else None
        if scope is not None and isinstance(found, ast.Name) and found.id in _params(scope):
            index = _params(scope).index(found.id)  # make(to): the address the caller hands the maker
            maker_call = call.args[0]
            return maker_call.args[index] if index < len(maker_call.args) else None
        return found
    return None


def _mail_storm(unit: _Unit, call: ast.Call, target: ast.AST | None) -> Found | None:
    """A mail send (:func:`_mail_recipient`) repeated with the same recipient: a newsletter loops over its
    recipients, a retry stops, and a report sent every hour or more is paced; a bomber does none of these."""
    if isinstance(target, (ast.List, ast.Tuple)) and len(target.elts) == 1:
        target = target.elts[0]  # sendmail(me, [victim], msg): a list of one recipient is that recipient
    known = unit.value(target) if target is not None else None  # os.environ['BT'] set earlier: the address itself
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        name = f"self.{target.attr}"  # the instance's one target, the same at every call of the method
    elif isinstance(target, ast.Constant) and isinstance(target.value, str) and target.value:
        name = repr(target.value)  # an address written in the call: no loop or caller can vary it
    elif isinstance(target, ast.Call) and isinstance(known, str) and "@" in known:
        name = repr(known)  # an address a helper decodes from the cell's own text (s('to')): one fixed address
    else:
        while isinstance(target, (ast.Attribute, ast.Subscript)):  # member.email, row['to']: the member, the row
            target = target.value
        if not isinstance(target, ast.Name):
            return None
        name = target.id
    where = _repeated(unit, call, name, 0)
    if where is None or _paced(unit, where, MAIL_PACE_S):
        return None
    shown = repr(known) if isinstance(known, str) and known else name
    return Found("flood/messages", call.lineno, f"the same address ({shown}) is sent mail again and again "
                 f"(line {where.lineno})")


def _chat_storm(unit: _Unit, call: ast.Call) -> Found | None:
    """A bot's send (awaited, or a ``send_message``) repeated at one destination by an endless loop or a loop of
    many rounds, with the same message each round.  Its look-alikes: a bot that answers once, sends a long text in
    chunks (the message changes with the loop), writes to each member or chat of a list (the destination changes),
    talks with someone (the loop waits for their message) or posts a report every minute or more."""
    short = unit.name(call).rsplit(".", 1)[-1]
    # a plain .send() or .reply() that is neither awaited nor made a task is a socket's or a mail library's
    if not isinstance(call.func, ast.Attribute) or \
            short in {"send", "reply", "respond"} and not _awaited(unit, call):
        return None
    to = call.args[0] if short in {"send_message", "sendMessage"} and call.args else call.func.value
    peer = ast.unparse(to)
    # Telethon's event.respond(text) answers in the chat the event came from, whatever the event is called
    if short != "respond" and not CHAT_PEER.search(peer) and not _got_from_getter(unit, to):
        return None
    destination = _names(to)
    content = set().union(*(_names(a) for a in (*call.args, *(k.value for k in call.keywords))))
    child: ast.AST = call  # the node on the way up whose parent is ``loop``
    for loop in unit.ancestors(call):
        if isinstance(loop, FUNCTIONS):
            return None
        child, came_from = loop, child
        if isinstance(loop, (ast.For, ast.AsyncFor)) and came_from is loop.iter:
            continue  # async for reply in client.send_message(req): sent once, its answers read in the loop
        if isinstance(loop, (ast.For, ast.AsyncFor)):
            targets = _loop_targets(loop)
            varied = targets & destination or targets & content and not _counted_only(unit, call, targets)
            if varied or _few(unit, loop.iter) or _for_some_items(unit, call, loop):
                return None
        elif not isinstance(loop, ast.While) or _stops(loop):
            continue
        if _paced(unit, loop, MAIL_PACE_S) or any(isinstance(n, ast.Call) and unit.name(n).rsplit(".", 1)[-1]
                                                  in CHAT_WAITS for n in ast.walk(loop)):
            return None
        return Found("flood/messages", call.lineno, f"the same chat or user ({peer[:60]}) is sent messages again and "
                     f"again (line {loop.lineno})")
    return None


def _counted_only(unit: _Unit, call: ast.Call, targets: set[str]) -> bool:
    """Does the loop's variable reach the message only as a number written into it (``'spam ' + str(i)``,
    ``f'#{i}'``, ``'#%d' % i``), never as the text itself or a piece of one (``line``, ``text[i:i + 4096]``)?  A
    counter makes each copy of one message unique; it does not make a different message."""
    short = unit.name(call).rsplit(".", 1)[-1]
    message = call.args[1:] if short in {"send_message", "sendMessage"} else call.args
    for arg in (*message, *(k.value for k in call.keywords)):
        for node in ast.walk(arg):
            if not (isinstance(node, ast.Name) and node.id in targets):
                continue
            parent = unit.parent.get(id(node))
            written = isinstance(parent, ast.FormattedValue) or \
                isinstance(parent, ast.Call) and unit.name(parent) in {"str", "repr"} or \
                isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod) and parent.right is node and \
                isinstance(parent.left, ast.Constant)
            if not written:
                return False
    return True


def _awaited(unit: _Unit, call: ast.Call) -> bool:
    """``await ch.send(x)``, or the coroutine made a task (``loop.create_task(m.respond(x))``)."""
    parent = unit.parent.get(id(call))
    return isinstance(parent, ast.Await) or isinstance(parent, ast.Call) and \
        unit.name(parent).rsplit(".", 1)[-1] in {"create_task", "ensure_future", "gather"}


def _for_some_items(unit: _Unit, call: ast.Call, loop: ast.AST) -> bool:
    """Is the send under a test on what the loop's item holds (``for face in faces: if len(eyes) == 3: send``): a
    remark made for the items that match, not the same message sent every round?"""
    if isinstance(loop.iter, ast.Call) and unit.name(loop.iter).rsplit(".", 1)[-1] == "range":
        return False  # for i in range(100): if i % 2 == 0: send: a counter, every other round is still a storm
    made = _derived(unit, unit.function_of(call) or unit.tree, _loop_targets(loop))
    for node in unit.ancestors(call):
        if node is loop:
            return False
        if isinstance(node, ast.If) and _names(node.test) & made:
            return True
    return False


def _got_from_getter(unit: _Unit, to: ast.AST) -> bool:
    """A name bound once to what a chat getter returned (``get_channel``, ``fetch_user``, ``create_dm``)."""
    value = unit.bound_once(to)
    if isinstance(value, ast.Await):  # ch = await client.fetch_channel(ID)
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    words = {w.lower() for w in _NAME_WORDS.findall(unit.name(value).rsplit(".", 1)[-1])}
    return bool(words & CHAT_GETTER_WORDS)  # whole words: SendMessageRequest holds no "dm"


def _phone_arg(unit: _Unit, call: ast.Call) -> str | None:
    """The name of an argument that holds a phone number (``phone``, ``self.target_number``), directly or inside
    the form posted (``json={'mobile': '0' + number}``, or a dict of that shape named before the call)."""
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        node = arg.value if isinstance(arg, ast.Starred) else arg
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            node = node.args[0]  # json=body(number): the form a helper makes from the number
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
        if name and PHONE.search(name):
            owner = node.value if isinstance(node, ast.Attribute) else None
            if isinstance(owner, ast.Name) and owner.id not in {"self", "cls"}:
                return owner.id  # student.phone_number: the student, whom a loop over the roster changes
            return name
        forms = [node] if isinstance(node, ast.Dict) else \
            [v for v in unit.names_bound_to.get(name, ())[:2] if isinstance(v, ast.Dict)] if name else []
        for form in forms:
            for value in form.values:
                for part in ast.walk(value):
                    inner = part.id if isinstance(part, ast.Name) else part.attr \
                        if isinstance(part, ast.Attribute) else ""
                    if inner and PHONE.search(inner):
                        return inner
    return None


def _messaging_url(unit: _Unit, call: ast.Call) -> bool:
    """A request posted to a URL that names what it sends (``.../send-otp``, ``.../sms/verify``), or to each URL
    of a collection in turn."""
    if unit.name(call).rsplit(".", 1)[-1] not in {"post", "get", "put", "request"}:
        return False
    url = unit.keyword(call, "url") or (call.args[0] if call.args else None)
    item = url.args[0] if isinstance(url, ast.Call) and len(url.args) == 1 else url  # h(url): an item decoded
    if isinstance(item, ast.Name) and (_over_a_list(unit, call, item.id) or _passed_over_a_list(unit, call, item.id)):
        return True  # for e in endpoints: post(e, json={'phone': n}): each of a list of services texts the number
    if isinstance(item, ast.Name) and any(_drawn_from_services(unit, v) for v in unit.names_bound_to.get(item.id, ())[:4]):
        return True  # url, body = random.choice(SERVICES): one of a collection of services, drawn each round
    if isinstance(url, (ast.Attribute, ast.Subscript)) and _messaging_endpoints(unit) >= 2:
        return True  # post(api.url, ...), a field of a record of a table (a JSON or CSV text) of such endpoints
    return url is not None and MESSAGING.search(unit.text(url, follow=2)) is not None


def _drawn_from_services(unit: _Unit, value: ast.AST) -> bool:
    """``random.choice(SERVICES)`` or ``SERVICES[i]`` (or a part of either: ``url, body = random.choice(...)``):
    an item of a collection named for services or APIs."""
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Call):
        value = value.value
    if isinstance(value, ast.Call) and unit.name(value).rsplit(".", 1)[-1] == "choice" and value.args:
        value = value.args[0]
    elif isinstance(value, ast.Subscript):
        value = value.value
    else:
        return False
    return _collection(value)


def _messaging_endpoints(unit: _Unit) -> int:
    """How many URLs in the unit's strings name what they send (``https://api.shop.example/v1/otp/send``)."""
    if "messaging endpoints" not in unit.memo:
        unit.memo["messaging endpoints"] = sum(1 for _, text in unit.strings if "://" in text
                                               for url in URL_IN_TEXT.findall(text) if MESSAGING.search(url))
    return unit.memo["messaging endpoints"]


def _over_a_list(unit: _Unit, node: ast.AST, name: str) -> bool:
    """Is ``name`` the item of a loop or comprehension around ``node`` that goes over a collection (not a call's
    result: ``range(n)``, a file's lines)?"""
    return any(isinstance(loop, (ast.For, ast.AsyncFor, ast.GeneratorExp, ast.ListComp, ast.SetComp)) and
               name in _loop_targets(loop) and not any(isinstance(i, ast.Call) for i in _loop_iters(loop))
               for loop in unit.ancestors(node))


def _passed_over_a_list(unit: _Unit, call: ast.Call, name: str) -> bool:
    """``async def ping(s, url, field): s.post(url, ...)`` called as ``ping(s, u, f) for u, f in ENDPOINTS``: the
    parameter is each item of a collection at the function's calls."""
    function = unit.function_of(call)
    params = _params(function) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    if name not in params:
        return False
    index = params.index(name)
    for caller in unit.calls:
        if isinstance(caller.func, ast.Name) and caller.func.id == function.name and index < len(caller.args) and \
                isinstance(arg := caller.args[index], ast.Name) and _over_a_list(unit, caller, arg.id):
            return True
    return False


def _messaging_form(call: ast.Call) -> bool:
    """A form posted with the number that names what it asks for (``json={'phone': n, 'channel': 'sms'}``)."""
    for keyword in call.keywords:
        if keyword.arg in {"json", "data", "params"} and isinstance(keyword.value, ast.Dict):
            if any(isinstance(n, ast.Constant) and isinstance(n.value, str) and MESSAGING.search(n.value)
                   for part in (*keyword.value.keys, *keyword.value.values) if part is not None
                   for n in ast.walk(part)):
                return True
    return False


def _service_callee(unit: _Unit, call: ast.Call) -> bool:
    """Is the called function one of a collection of services (``SERVICES[name](n)``, ``api = apis.get(k)``
    then ``api(n)``, ``for api in apis: api(n)``)?"""
    func = call.func
    if isinstance(func, ast.Subscript):
        return _collection(func.value)
    if isinstance(func, ast.Attribute):  # senders[i][1].send(n) with i running over the senders
        looped = {t for loop in unit.ancestors(call) if isinstance(loop, (ast.For, ast.AsyncFor))
                  for t in _loop_targets(loop)}
        return any(isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Name) and n.slice.id in looped
                   for n in ast.walk(func.value))
    if not isinstance(func, ast.Name):
        return False
    for value in unit.names_bound_to.get(func.id, ())[:4]:
        if isinstance(value, ast.Subscript) and _collection(value.value) or isinstance(value, ast.Call) and \
                isinstance(value.func, ast.Attribute) and value.func.attr == "get" and _collection(value.func.value):
            return True
    return any(isinstance(loop, (ast.For, ast.AsyncFor)) and func.id in _loop_targets(loop) and _collection(loop.iter)
               for loop in unit.ancestors(call))


def _collection(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"values", "items"}:
        node = node.func.value
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return bool(name) and SERVICES.search(name) is not None


def _repeated(unit: _Unit, node: ast.AST, phone: str, depth: int) -> ast.AST | None:
    """A loop around ``node`` that keeps the number (not one over the numbers, not a short retry), or workers
    or callers that repeat the function it is in with the same number."""
    for ancestor in unit.ancestors(node):
        if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = [a.arg for a in (*ancestor.args.posonlyargs, *ancestor.args.args)]
            if phone not in params:  # the number is fixed outside: every worker texts it
                spawned, _many = _workers(unit, ancestor)
                if spawned is not None:
                    return spawned
            if depth < 2:  # a parameter: what the callers pass decides (map(f, numbers) varies it)
                method = bool(params) and params[0] in {"self", "cls"}
                for caller in (c for c in unit.calls if _calls(c, ancestor.name, method)):
                    # a number fixed outside stays the one the callers repeat; a method's callers skip self
                    passed = phone if phone not in params else \
                        _passed(caller, params[1:] if method and isinstance(caller.func, ast.Attribute) else params,
                                phone)
                    found = _repeated(unit, caller, passed, depth + 1) if passed else None
                    if found is not None:
                        return found
            return None
        if isinstance(ancestor, FUNCTIONS):
            if phone in {a.arg for a in ancestor.args.args}:
                return None  # lambda n: send(n) handed to map(): one number per item
            continue  # lambda p: hit(p, number) handed to a pool: the loop around it still repeats it
        if isinstance(ancestor, (ast.For, ast.AsyncFor)) and phone not in _loop_targets(ancestor) and \
                not _few(unit, ancestor.iter):
            return ancestor
        if isinstance(ancestor, ast.While) and not _stops(ancestor):
            return ancestor
    return None


def _calls(call: ast.Call, name: str, method: bool) -> bool:
    """Is this a call of the function ``name`` (``name(...)``, or ``self.name(...)`` for a method)?"""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == name
    return method and isinstance(func, ast.Attribute) and func.attr == name and \
        isinstance(func.value, ast.Name) and func.value.id in {"self", "cls"}


def _passed(caller: ast.Call, params: list[str], phone: str) -> str | None:
    """The name a caller passes for the parameter ``phone`` (the same name when a ``*args`` hides it)."""
    if phone in params and params.index(phone) < len(caller.args):
        arg = caller.args[params.index(phone)]
        if any(isinstance(a, ast.Starred) for a in caller.args[:params.index(phone) + 1]):
            return phone
        return arg.id if isinstance(arg, ast.Name) else arg.attr if isinstance(arg, ast.Attribute) else None
    keyword = next((k.value for k in caller.keywords if k.arg == phone), None)
    if keyword is not None:
        return keyword.id if isinstance(keyword, ast.Name) else None
    return phone if any(isinstance(a, ast.Starred) for a in caller.args) else None


def _stops(loop: ast.AST) -> bool:
    """Does the ``while`` loop stop early (``break``/``return`` in its own body): a retry, not a storm?"""
    todo = list(loop.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Break, ast.Return)):
            return True
        if not isinstance(node, (*FUNCTIONS, ast.For, ast.AsyncFor, ast.While, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def _few(unit: _Unit, iterable: ast.AST) -> bool:
    """``range(n)`` with a known n below :data:`FEW` (an unknown one counts as many)."""
    return isinstance(iterable, ast.Call) and unit.name(iterable) == "range" and bool(iterable.args) and \
        _count(unit, iterable) < FEW
