"""Shell command lines turned into the argv lists that actually run (:mod:`.parsing`), from the words a line is
cut into (:mod:`.words`) and the text that pipelines print and decode (:mod:`.decoding`)."""

from .decoding import decoded_stage, printed_pipeline
from .parsing import URL_RE, Command, ShellFacts, is_plain, normalize_package, parse, parse_argv, url_path
from .words import PYTHONS, SHELLS, ansi_c, program_name, split_pipeline, tokenize, unescape

__all__ = ["PYTHONS", "SHELLS", "URL_RE", "Command", "ShellFacts", "ansi_c", "decoded_stage", "is_plain",
           "normalize_package", "parse", "parse_argv", "printed_pipeline", "program_name", "split_pipeline",
           "tokenize", "unescape", "url_path"]
