"""Readers for the deployment files, shared by the tests in this folder: compose.yaml (YAML, merge
keys resolved), the Dockerfile (instructions by stage, continuation lines joined) and the Docker
build context that .dockerignore leaves. No container engine runs on CI's machine, so the files
are checked as text against what the app and its wheel need."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
APP_ROLES = ("migrate", "app1", "app2", "scheduler")
WEB_NODES = ("app1", "app2")


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


@dataclass
class Instruction:
    keyword: str  # upper case: FROM, RUN, ...
    args: str  # the rest of the instruction, continuation lines joined with single spaces

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD / HEALTHCHECK CMD / ENTRYPOINT, or None (shell form)."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = re.sub(r"^(--\S+\s+)*CMD\s+", "", text)
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, list) else None

    def flags(self) -> dict[str, str]:
        """``--name=value`` options at the start of the instruction (FROM, COPY, HEALTHCHECK)."""
        return dict(re.findall(r"(?:^|\s)--([\w-]+)=(\S+)", self.args.split(" CMD ", 1)[0]))


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """Every ``ENV name=value`` of the stage (the ``name=value`` form, quotes removed)."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for name, quoted, plain in re.findall(r'(\w+)=(?:"([^"]*)"|(\S+))', instruction.args):
                values[name] = quoted or plain
        return values


def dockerfile_stages(text: str | None = None) -> list[Stage]:
    """The Dockerfile's stages in order; comment lines (and parser directives) are dropped, as
    Docker drops them, also between continuation lines."""
    if text is None:
        text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        instruction = Instruction(keyword.upper(), args.strip())
        if instruction.keyword == "FROM":
            words = [w for w in instruction.args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif stages:
            stages[-1].instructions.append(instruction)
    return stages


def _dockerignore_patterns() -> list[tuple[str, bool]]:
    patterns = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            patterns.append((line.lstrip("!").strip("/"), negated))
    return patterns


def _matches(pattern: str, path: str) -> bool:
    """Docker's rule: a pattern excludes the path it matches and everything under a folder it
    matches; ``**/`` stands for any number of folders."""
    parts = path.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    if pattern.startswith("**/"):
        rest = pattern[3:]
        return any(
            fnmatch.fnmatchcase("/".join(c.split("/")[i:]), rest) for c in candidates for i in range(len(c.split("/")))
        )
    return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)


def in_build_context(path: str) -> bool:
    """Whether ``docker build .`` sends this path (relative to the checkout) to the builder."""
    included = True
    for pattern, negated in _dockerignore_patterns():
        if _matches(pattern, path):
            included = negated
    return included


def tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
