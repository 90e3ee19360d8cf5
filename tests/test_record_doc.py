"""docs/record.md is the repository's own description of its outside interfaces: every
command and option of the CLI, every record field and figure key is named in it."""
from __future__ import annotations

import re

import click

from archive.export import RECORD_FIELDS
from budgets.cli import cli
from parsers.catalogue import FIGURE_KEYS
from tests.paths import REPO

RECORD = (REPO / "docs" / "record.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_and_option_is_documented() -> None:
    missing = []
    for name, command in _commands(cli):
        if f"budgets {name}" not in RECORD:
            missing.append(f"budgets {name}")
        for param in command.params:
            for opt in param.opts + param.secondary_opts:
                if opt.startswith("--") and opt not in ("--data", "--set", "--verbose") and opt not in RECORD:
                    missing.append(f"budgets {name} {opt}")
    assert not missing


def test_every_record_field_and_figure_key_is_documented() -> None:
    named = set(re.findall(r"^\| `([a-z_]+)` \|", RECORD, flags=re.M))
    assert set(RECORD_FIELDS) <= named and set(FIGURE_KEYS) <= named


def test_readme_points_to_the_record_in_the_repository() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/record.md" in readme and "CONTRACT.md" not in readme


def test_every_flag_type_has_its_chinese_label_and_sentence() -> None:
    from parsers.flag_types import FLAG_TYPES

    flag_table = RECORD.split("### Flag types")[1].split("\n\n`severity`")[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", flag_table, flags=re.M))
    assert documented == set(FLAG_TYPES)
    assert all(label and sentence.endswith("。") for label, sentence in FLAG_TYPES.values())
