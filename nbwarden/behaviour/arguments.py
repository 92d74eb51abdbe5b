"""``args/*``: shapes read from one command's arguments, whatever the program is called.

The engine asks for them on every command fact (a ``!`` line, a script's line, a subprocess call), so a command
quoted inside a string or a comment is never read: only what runs.

``args/face-onto-video``
    a Python script given a face photo as its source and a video as its target or driving input
    (``run.py -s face.jpg -t clip.mp4``, ``--src_img a.png --dst_video b.mp4``, ``--pic_a_path``/``--video_path``;
    the options are read by the words of their names):
    the command line of face-swap and face-reenactment tools, renamed or not; also a face photo onto another photo
    when the script is named for swapping faces (``swapper.py --source_img a.jpg --target_img b.jpg``).  Two images
    given to any other script (style transfer) or a video in and a video out (tracking) are not this shape.
``args/voice-onto-voice``
    a Python script given a recording as its source and another recording as the target or reference voice
    (``infer.py --src_path me.wav --trg_path them.wav``): the command line of voice-conversion research code, which
    rarely names a known tool; or a recording handed to a script with a VITS-family singer's or speaker's
    generator checkpoint (``-m logs/44k/G_30400.pth -v song.wav``, what so-vits-svc trains): the recording comes out
    in that voice.  A metric that compares a reference with a degraded or synthesised file (``--ref a.wav --deg
    b.wav``) names neither side a source, and speech synthesised from text with such a checkpoint gives no recording.
``args/magnet-to-client``
    a magnet link handed to a program that is not a known printer or parser of links (``echo``, ``grep``,
    ``parse-torrent``, a Python script named for parsing): only a BitTorrent or eD2k client takes one, under any
    name (a renamed client, ``$R-cli`` decoded at run time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import shell

# a face photo's option (-s, --source, --src_img, --source-face, --pic_a_path, --face_image) and a video's (-t, -d,
# --target, --dst_video, --tgt-vid, --driving_video, --video_path): read by the words of the name, not a list of them
SOURCE_OPTION = re.compile(r"^(-s|--(src|source)([-_](img|image|face|photo|pic|path))?|--pic[-_]?a[-_]path|"
                           r"--face[-_](image|img))$")
TARGET_OPTION = re.compile(r"^(-t|-d|--(dst|tgt|target|driving|drive)([-_](video|vid|path|file|media|img|image))?|"
                           r"--video[-_]path)$")
# a script named for swapping faces (swapper.py, face_swap.py): a face photo onto another photo is a swap too
SWAP_SCRIPT = re.compile(r"swapper|face[-_]?swap|swap[-_]?face", re.I)
NOT_SWAPPING = re.compile(r"detect|eval|metric|classif", re.I)
SOURCE_AUDIO_OPTIONS = frozenset({"-s", "--source", "--src", "--src_path", "--source_path", "--src_wav", "--source_wav",
                                  "--source_audio", "--src_audio", "--content", "--content_path", "--content_wav"})
VOICE_OPTIONS = frozenset({"-t", "-r", "--target", "--trg", "--tgt", "--trg_path", "--tgt_path", "--target_path",
                           "--target_wav", "--trg_wav", "--tgt_wav", "--target_audio", "--target_voice", "--ref",
                           "--reference", "--ref_path", "--ref_wav", "--reference_wav", "--ref_audio", "--speaker"})
IMAGE = re.compile(r"\.(jpe?g|png|webp)$", re.I)
AUDIO = re.compile(r"\.(wav|mp3|flac|ogg|m4a)$", re.I)
VIDEO = re.compile(r"\.(mp4|mov|avi|webm|mkv|gif)$", re.I)
VOICE_CHECKPOINT = re.compile(r"(^|[/\\])G_\d+\.pth$")  # a VITS generator after N steps (so-vits-svc's G_30400.pth)


MAGNET = re.compile(r"^['\"]?magnet:\?\S*xt=urn:(btih|btmh|ed2k):", re.I)
# programs that print, store, search or parse a link: the link is data to them
LINK_READERS = frozenset({"echo", "printf", "print", "cat", "tee", "grep", "egrep", "fgrep", "rg", "sed", "awk", "jq",
                          "xclip", "xsel", "pbcopy", "wc", "sort", "uniq", "head", "tail", "parse-torrent",
                          "magnet-uri", "magnet2torrent", "qrencode"})
PARSING_SCRIPT = re.compile(r"pars|info|meta|inspect|decode|convert|qr", re.I)


def _magnet_to_client(argv: list[str] | tuple[str, ...]) -> bool:
    """A magnet link among the arguments of a program that is not a link reader (see the module's docstring)."""
    if not any(MAGNET.match(arg) for arg in argv[1:]):
        return False
    program = shell.program_name(argv[0]).lower()
    if program in LINK_READERS or PARSING_SCRIPT.search(program):
        return False
    if shell.PYTHONS.match(program) or program in {"node", "bash", "sh"}:
        script = next((a for a in argv[1:] if not a.startswith("-")), "")
        return not MAGNET.match(script) and not PARSING_SCRIPT.search(script.rsplit("/", 1)[-1])
    return True


def _options(args: list[str]) -> Iterable[tuple[str, str]]:
    """(option, value) pairs: ``--opt value`` and ``--opt=value``."""
    for i, arg in enumerate(args):
        option, eq, attached = arg.partition("=")
        if eq and option.startswith("-"):
            yield option, attached
        elif arg.startswith("-") and i + 1 < len(args) and not args[i + 1].startswith("-"):
            yield arg, args[i + 1]


def command_shapes(argv: list[str] | tuple[str, ...]) -> list[str]:
    """The ``args/*`` shapes of one command (usually none)."""
    shapes = ["args/magnet-to-client"] if len(argv) > 1 and _magnet_to_client(argv) else []
    if len(argv) < 3 or not shell.PYTHONS.match(shell.program_name(argv[0])):
        return shapes
    pairs = [(option.lower(), value.strip("'\"")) for option, value in _options(list(argv[1:]))]
    face = any(SOURCE_OPTION.match(option) and IMAGE.search(value) for option, value in pairs)
    onto = any(TARGET_OPTION.match(option) and VIDEO.search(value) for option, value in pairs)
    if face and not onto:  # a face onto a photo, by a script named for swapping faces
        script = next((a for a in argv[1:] if not a.startswith("-")), "").rsplit("/", 1)[-1]
        onto = bool(SWAP_SCRIPT.search(script)) and not NOT_SWAPPING.search(script) and \
            any(TARGET_OPTION.match(option) and IMAGE.search(value) for option, value in pairs)
    if face and onto:
        shapes.append("args/face-onto-video")
    sources = {value for option, value in pairs if option in SOURCE_AUDIO_OPTIONS and AUDIO.search(value)}
    voices = {value for option, value in pairs if option in VOICE_OPTIONS and AUDIO.search(value)}
    if sources and voices - sources or any(VOICE_CHECKPOINT.search(a.strip("'\"")) for a in argv[1:]) and \
            any(AUDIO.search(value) for _, value in pairs):
        shapes.append("args/voice-onto-voice")
    return shapes
