"""What wakes the analysis and what a shell line runs: the cheap first pass must skip only what cannot matter.

Each speed-up here (word-start regex gates, program names outside a command position) comes with the cases it must still catch; the shell and batch reading
(process substitution, Windows paths) with a look-alike that must stay quiet.  The look-back that reads skipped
cells again is tested in test_engine.py, on its private pack.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbwarden import shell
from nbwarden.engine import Engine
from nbwarden.regexlit import required_words
from nbwarden.scan import check_file


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def rules_of(verdict) -> set[str]:
    return {f.rule for f in verdict.findings}


# ------------------------------------------------------------------ word-start gates

@pytest.mark.parametrize("pattern,words", [
    (r"\bfor\s+\w+\s+in\b", {"for": True}),
    (r"(\{|\$\{?)port\b", {"port": True}),               # each way in ends on punctuation
    (r"\bgo\s+func\s*\(", {"func": True}),               # after one or more spaces
    (r"x(for)", {"for": False}),                          # after a word character: anywhere
    (r"\s*format", {"format": False}),                    # the spaces may be none
    (r"a?\bfoo|bar\s*baz", {"foo": True, "bar": False}),
    (r"\$argv\s*\[", {"$argv": False}),                   # begins with punctuation: nothing to check
    (r"(?:\bfor|x(for))\s+y", {"for": False}),              # met both ways: no promise
])
def test_required_words_say_which_words_start_a_word(pattern, words):
    assert required_words(pattern) == words


_WORD = re.compile(r"[A-Za-z0-9_]")


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(["abc", "xyz", "x", "(", ")", "|", "?", "*", "+", "[a-z]", "[ .]", "\\b", "\\s*",
                                 "\\s+", ".", "^", "-", "(?:", "_"]), min_size=1, max_size=12).map("".join),
       st.text(st.sampled_from("abcxyz .-_\n"), max_size=40))
def test_a_word_start_gate_never_hides_a_match(pattern, text):
    """Where a regex matches, one of its words occurs, and a word said to start a word does so there."""
    try:
        compiled = re.compile(pattern, re.ASCII)
    except re.error:
        return
    words = required_words(pattern)
    if not words or not compiled.search(text):
        return
    low = text.lower()

    def occurs(word: str, at_start: bool) -> bool:
        for found in re.finditer(re.escape(word), low):
            if not at_start or found.start() == 0 or not _WORD.match(low[found.start() - 1]):
                return True
        return False

    assert any(occurs(word, at_start) for word, at_start in words.items()), (pattern, words, text)


def test_a_gated_rule_regex_still_matches_at_a_word_start(engine):
    # dos_attack's shell loop regex is gated by "for" at a word start: "transform" must not wake it, "for" must
    looped = "for i in {1..100000}; do curl -s http://198.51.100.7/ & done"
    assert "dos_attack.shell-request-flood" in rules_of(engine.check_code(looped, kind="shell"))
    assert set().union(*engine._scan(looped)[1:3])  # the groups of rarer parts and of common parts
    gates = set().union(*engine._scan("y = transform(x, performance=True)  # information".lower())[1:3])
    assert not any("for" in engine._regex_texts[i] and r"\bfor\s+\w+\s+in" in engine._regex_texts[i]
                   for group in gates for i in engine._gate_groups[group])



def test_words_that_only_gate_common_parts_wait_for_their_own_pass(engine):
    # a word that gates nothing but common parts of multi-part rules is not read by the first pass (most cells never
    # want those parts), and the second pass finds the groups it gates
    words = sorted(engine._common_automaton.keys())
    assert words
    text = " ".join(f" {word} " for word in words[:50])
    found = engine._common_gates(text)
    _, gates, common, _ = engine._scan(text)
    assert found - common  # groups only the second pass opens
    assert all(group not in gates for group in found)
    # the common part still counts once a rarer part is there: the loop of a shell flood is a common part
    looped = "for i in {1..100000}; do curl -s http://198.51.100.7/ & done"
    assert "dos_attack.shell-request-flood" in rules_of(engine.check_code(looped, kind="shell"))


# words found in most notebooks' code: a regex that only they gate runs on nearly every cell
COMMON_WORDS = frozenset({
    "for", "while", "import", "from", "def", "class", "return", "print", "self", "input", "key", "word", "pass",
    "train", "image", "face", "target", "data", "file", "path", "list", "dict", "type", "len", "get", "set", "time",
    "count", "rename", "model", "test", "open", "read", "write", "name", "value", "str", "int", "range", "true",
    "false", "none", "with", "not", "and", "the", "http", "url", "request", "user", "text", "run", "result",
    "thread", "socket", "port", "host"})
# the gate word sets of that kind the packs have; each is one RE2 set pass shared by all its regexes
KNOWN_COMMON_GATES = {
    (("count", True),), (("face", False),), (("for", True),), (("for", True), ("while", True)), (("from", True),),
    (("http", False),), (("http", True),), (("import", True),), (("len", True),), (("range", True),),
    (("request", True), ("write", True)), (("socket", False),), (("socket", True),), (("target", True),),
    (("thread", True),), (("type", True),), (("while", True),)}


def test_no_regex_opens_a_new_gate_of_common_words(engine):
    """A regex waits behind the words it needs, and each distinct set of such words costs one more RE2 pass on
    every cell that contains one of them.  A regex that needs only a common word (``for``, ``input``) joins an
    existing set at no cost; with a new set it slows every ordinary cell.  Spell the rare words out instead (one
    regex per alternative, so a shared prefix like "word" of wordlist/word_list does not become the gate)."""
    gates: dict[tuple, list[str]] = {}
    for text, ref in zip(engine._regex_texts, engine._regex_refs, strict=True):
        words = required_words(text) or {}
        if words and all(word in COMMON_WORDS for word in words):
            gates.setdefault(tuple(sorted(words.items())), []).append(f"{engine.rules[ref.rule].id}: {text[:60]}")
    new = {gate: regexes for gate, regexes in gates.items() if gate not in KNOWN_COMMON_GATES}
    assert not new, new



def test_a_part_with_no_word_of_its_own_never_wakes_the_analysis(engine):
    """A multi-part rule wakes the deep analysis on its rarest part only.  A part that is only a regex of
    alternatives with no required word (``\\b(target|victim|host|ip|url)\\b``) would wake it on the commonest text,
    so it is never chosen while another part has words to look for (it was, once a word-rich alternative made the
    import part's word list longer: every cell that said "host" was then analysed in depth)."""
    from nbwarden.engine.triggers import _rarest_group
    from nbwarden.regexlit import required_literals

    def wordless(group):
        return all("regex" in p and not required_literals(p["regex"]) for p in group)

    chosen_wordless = [rule.id for rule in engine.rules if len(rule.groups) > 1
                       and wordless(rule.groups[_rarest_group(rule)])
                       and not all(wordless(g) for g in rule.groups)]
    assert not chosen_wordless, chosen_wordless

# ------------------------------------------------------------------ program names that cannot be commands

@pytest.mark.parametrize("cell", [
    "import turtle\nfor _ in range(36):\n    fd(100)\n    lt(170)",       # turtle's left turn, not localtunnel
    "with open(path, 'ab') as f:\n    f.write(chunk)",                      # a file mode, not ApacheBench
    'mode: "a" or "ab" for appending in binary',
    "df.ab.mean()",                                                          # an attribute
])
def test_program_names_outside_a_command_do_not_wake_the_analysis(engine, cell):
    hits, _, _, wakes = engine._scan(cell.lower())
    assert not wakes
    assert not {needle for _, needle, _ in hits} & {"lt", "ab"}
    assert engine.check_code(cell).action == "allow"


@pytest.mark.parametrize("cell,rule", [
    ("!lt --port 8000 --subdomain mybox", "proxy_tunnel.localtunnel"),
    ("import subprocess\nsubprocess.run(['ab', '-n', '1000000', '-c', '500', 'http://198.51.100.7/'])",
     "dos_attack.loadtest-unbounded"),
    ("import subprocess as sp\ncmd = ['nohup', 'ab', '-n', '1000000', '-c', '500', 'http://198.51.100.7/']\nsp.call(cmd)",
     "dos_attack.loadtest-unbounded"),
    ("!ab -n 1000000 -c 1000 http://198.51.100.7/", "dos_attack.loadtest-unbounded"),
])
def test_program_names_in_a_command_still_count(engine, cell, rule):
    assert rule in rules_of(engine.check_code(cell))


@pytest.mark.parametrize("name,rule", [
    ("my_colab_rdp_setup.sh", "remote_desktop_ssh.remote-access-helper-install"),
    ("CRD_COLAB_EXE.sh", "remote_desktop_ssh.remote-access-helper-install"),
    ("my_colab_cuda_setup.sh", None),
])
def test_a_downloaded_file_name_joined_by_underscores_wakes_its_glob(engine, name, rule):
    """A download glob's word (``*colab*rdp*``) inside a file name that joins its words with ``_``."""
    verdict = engine.check_code(f"!wget -q https://example.org/raw/{name}\n!bash {name}")
    assert (rule in rules_of(verdict)) if rule else verdict.action == "allow"


def test_runners_whose_names_hide_the_word_subprocess_wake_the_analysis(engine):
    """``asyncio.create_subprocess_exec`` holds "subprocess" only inside a longer word: the runner's own name wakes
    the analysis, so an argv hidden with XOR (no other trigger word) is still read; an ordinary argv is not flagged."""
    def cell(words):
        hidden = [bytes(ord(c) ^ 7 for c in w) for w in words]
        return (f"import asyncio\nARGS = {hidden!r}\nargv = [bytes(c ^ 7 for c in w).decode() for w in ARGS]\n"
                "async def go():\n    await asyncio.create_subprocess_exec(*argv)")
    bad = cell(["xmrig", "-o", "pool.example.net:3333", "-u", "WALLET"])
    assert engine._scan(bad.lower())[3]
    assert engine.check_code(bad).action == "block"
    assert engine.check_code(cell(["python", "train.py", "--epochs", "3"])).action == "allow"


# ------------------------------------------------------------------ shell: substitutions and Windows lines

def test_process_substitution_keeps_the_outer_command_whole():
    line = ('ffmpeg -re -f concat -safe 0 -i <((for f in clips/*.avi; do echo "file $f"; done) | shuf) '
            '-c copy -f flv $STREAM_URL/app/$KEY')
    argvs = [c.argv for c in shell.parse(line).commands]
    assert ["ffmpeg", "-re", "-f", "concat", "-safe", "0", "-i", "$_", "-c", "copy", "-f", "flv",
            "$STREAM_URL/app/$KEY"] in argvs
    assert ["shuf"] in argvs  # the inside runs too
    assert [c.argv for c in shell.parse("tar -czf x-$(date +%F).tgz $(ls -d out*)").commands][-1][:2] == ["tar", "-czf"]


def test_a_restream_through_process_substitution_is_found(engine):
    script = ("while true; do\n  ffmpeg -loglevel info -y -re \\\n    -f concat -safe 0 -i <((for f in v/*.avi; do "
              'echo "file $f"; done) | shuf) \\\n    -b:v 2500k -f flv $STREAM_URL/app/$STREAM_KEY\ndone\n')
    assert "web_file_hosting.live-restream" in rules_of(engine.check_code(script, kind="shell"))
    quiet = "diff <(sort a.txt) <(sort b.txt) && ffmpeg -i <(cat parts/*.ts) -c copy joined.mp4"
    assert engine.check_code(quiet, kind="shell").action == "allow"


def test_windows_paths_and_batch_launchers():
    argvs = [c.argv for c in shell.parse(r"call %USERPROFILE%\envs\swap\python.exe run.py --x 1").commands]
    assert argvs == [["%USERPROFILE%/envs/swap/python.exe", "run.py", "--x", "1"]]
    assert [c.argv for c in shell.parse(r"start /b C:\tools\app.exe -v").commands] == [["C:/tools/app.exe", "-v"]]
    assert shell.parse("REM start /b C:\\tools\\app.exe").commands == []
    # a POSIX line keeps its escapes
    assert [c.argv for c in shell.parse(r"echo a\ b").commands] == [["echo", "a b"]]


def test_batch_files_are_read_as_command_lines(tmp_path, engine):
    (tmp_path / "mine.bat").write_text("@echo off\r\ncd /d %~dp0\r\nstart /b C:\\tools\\xmrig.exe -o "
                                       "pool.supportxmr.com:3333 -u 4AbcWallet\r\n")
    (tmp_path / "train.cmd").write_text("@echo off\r\nREM xmrig -o pool.supportxmr.com:3333 is not allowed here\r\n"
                                        "call %USERPROFILE%\\miniconda3\\envs\\ml\\python.exe train.py --epochs 3\r\n")
    assert check_file(tmp_path / "mine.bat", engine).verdict["action"] == "block"
    assert check_file(tmp_path / "train.cmd", engine).verdict["action"] == "allow"


def test_batch_and_powershell_line_continuations(tmp_path, engine):
    """A caret (batch) or backtick (PowerShell) ends a line that goes on: its arguments belong to the command."""
    (tmp_path / "merge.bat").write_text('@echo off\r\n"%PY%" "%DFL%\\main.py" merge ^\r\n'
                                        '    --input-dir "%WS%\\dst" ^\r\n    --aligned-dir "%WS%\\dst\\aligned" ^\r\n'
                                        '    --model SAEHD\r\n')
    (tmp_path / "eval.bat").write_text('@echo off\r\n"%PY%" main.py evaluate ^\r\n    --input-dir "%WS%\\dst" ^\r\n'
                                       '    --model resnet50\r\n')
    assert check_file(tmp_path / "merge.bat", engine).verdict["category"] == "deepfake"
    assert check_file(tmp_path / "eval.bat", engine).verdict["action"] == "allow"
    ps = "python main.py train `\n  --training-data-src-dir ws/src `\n  --model SAEHD\n"
    assert engine.check_code(ps, kind="shell").category == "deepfake"


def test_a_backslash_at_the_end_of_a_comment_continues_nothing(engine):
    """Commented-out variants of a command kept above it, each ending in a backslash, do not swallow the line that
    runs; an HTTP download below the same comments stays allowed."""
    script = ("#!/bin/sh\n#aria2c -V --seed-ratio=0.0 -T old.torrent \\\n"
              "#aria2c -V -c old.torrent \\\n"
              "aria2c -V --seed-ratio=0.0 -c $TORRENTS -d out --enable-dht \\\n    --bt-seed-unverified=true\n")
    verdict = engine.check_code(script, kind="shell")
    assert "torrent_p2p.aria2-bittorrent" in {f.rule for f in verdict.findings}, verdict.to_dict()
    plain = ("#!/bin/sh\n#aria2c -V --seed-ratio=0.0 -T old.torrent \\\n"
             "aria2c -x 8 -c https://example.org/data/images.tgz -d out\n")
    assert engine.check_code(plain, kind="shell").action == "allow"


# ------------------------------------------------------------------ arguments: short words are words

@pytest.mark.parametrize("spec,argv,expected", [
    ({"args_any": ["a", "d"]}, ["wlan0mon", "--channel", "6"], False),      # "a" is not inside "wlan0mon"
    ({"args_any": ["a", "d"]}, ["wlan0mon", "d", "-c", "6"], True),
    ({"args_any": ["up"]}, ["update", "--all"], False),
    ({"args_any": ["up"]}, ["up", "wg0"], True),
    ({"args_any": ["flv"]}, ["-i", "in.mp4", "-f", "flv", "$URL"], True),
    ({"args": ["ssh"]}, ["-P", "pw.txt", "ssh://203.0.113.5"], True),
    ({"args_any": ["bomb"]}, ["smsbomber.py", "--count", "9"], True),         # longer needles stay substrings
    ({"args_any": ["start"]}, ["ssh", "restart"], True),
])
def test_short_argument_words_match_as_words(spec, argv, expected):
    from nbwarden.engine.args import _arg_lists, _args_match

    low = [a.lower() for a in argv]
    assert _args_match(_arg_lists(spec), low, " ".join(low)) is expected


@pytest.mark.parametrize(("argv", "private_names", "expected"), [
    (["slowloris", "localhost", "-p", "8080"], True, False),  # this machine: not matched
    (["slowloris", "localhost.shop.example", "-p", "80"], True, True),  # a name that only starts like it
    (["ab", "-n", "50", "http://127.0.0.1:8000/"], True, False),
    (["k6", "run", "-e", "T=http://localhost:8000/", "t.js"], True, False),  # a variable's value, a script
    (["k6", "run", "-e", "T=http://victim.example/", "t.js"], True, True),
    (["hey", "http://api:8080/"], True, False),  # a private service's one-label name
    (["hey", "http://api:8080/"], False, True),  # ... unless the code maps names itself
    (["socat", "tcp-listen:22,fork", "tcp:localhost:2222"], True, False),
    (["socat", "tcp-listen:22,fork", "tcp:localhost.relay.example:22"], True, True),
    (["hping3", "--flood", "127.0.0.1", "203.0.113.9"], True, True),  # one of two targets is elsewhere
    (["python3", "flood.py", "--threads", "500"], True, True),  # no host at all: the other needles decide
])
def test_not_local_reads_whole_hosts(argv, private_names, expected):
    from nbwarden.engine.args import _arg_lists, _args_match

    low = [a.lower() for a in argv[1:]]
    assert _args_match(_arg_lists({"not_local": True}), low, " ".join(low), private_names) is expected
