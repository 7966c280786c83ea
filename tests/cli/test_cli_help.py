"""Every option of every subcommand says what it does (``accelsim X --help``)."""

import pytest

from accelsim.cli import COMMANDS, build_parser


def _subparsers():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sub.choices


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help_text(command):
    missing = [a.option_strings or [a.dest] for a in _subparsers()[command]._actions
               if a.dest not in ("help", "_path_options") and not (a.help or "").strip()]
    assert not missing, f"accelsim {command}: options without help: {missing}"


def test_verify_help_lists_the_tops_and_limits():
    text = _subparsers()["verify"].format_help()
    assert "pe (default) or array" in text and "max_verify_trials" in text
