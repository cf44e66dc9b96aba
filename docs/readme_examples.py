"""The README's examples, run for real against a ledger built from the shipped data.

Two kinds of README content are kept honest here (tests/test_readme.py runs both; `make docs`
rewrites the outputs):

* **Examples**: every line starting with `protestlog` in a ```sh block is run, in order, with the
  other lines of its block, against a fresh ledger built from data/peru_2022_2023.csv,
  data/peru_victims.csv and data/peru_corrections.csv (as `make demo` builds it), from a
  folder holding that ledger as `demo.db` (also $PROTESTLOG_DB) and the files the examples name
  (reports.csv and feed.ndjson: the shipped data; the ACLED and UCDP files: it exported to them).
  A line documents its exit code with `(exit N)` in its trailing comment (default 0) and may
  document its whole output with `# => TEXT`. Shell variable assignments (`head=$(…)`) run too;
  any other line (`make`, `pip`) is shown, not run. ```text blocks (synopses) are not run.
* **Outputs**: a block between `<!-- output: COMMAND -->` and `<!-- /output -->` is what COMMAND
  prints (a ```text block, or a `>` quote with `<!-- output quote: COMMAND -->`). `--write`
  regenerates them; `--check` reports drift. Hashes and recording times change on every build,
  so they are compared as placeholders.

Usage: python docs/readme_examples.py --write|--check [README.md]
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "peru_2022_2023.csv"
VICTIMS = REPO / "data" / "peru_victims.csv"
CORRECTIONS = REPO / "data" / "peru_corrections.csv"  # applied after both imports, as `make demo` does
TODAY = "2026-11-30"  # "today" for the outputs shown (the shipped sources were read on 28 November 2026)
OUTPUT = re.compile(r"^<!-- output( quote)?: (.+?) -->\n(.*?)^<!-- /output -->\n", re.M | re.S)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
EXIT = re.compile(r"\(exit (\d+)\)")
PRINTS = re.compile(r"#\s*=>\s*(.+)$")


def executable() -> str:
    here = Path(sys.executable).parent / "protestlog"
    return str(here) if here.exists() else shutil.which("protestlog") or "protestlog"


def environment(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PROTESTLOG_TTY", "NO_COLOR", "COLUMNS")}
    env.update({"PATH": f"{Path(executable()).parent}{os.pathsep}{env.get('PATH', '')}",
                "PROTESTLOG_DB": str(folder / "demo.db"), "PROTESTLOG_TODAY": TODAY,
                "PROTESTLOG_USER": "docs", "LC_ALL": "C.UTF-8", "COLUMNS": "80"})  # laid out as at 80 columns
    return env


def demo_folder(folder: Path) -> Path:
    """A folder as a reader's would be after `make demo`: demo.db, data/, and the files examples name."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    shutil.copy(DATA, folder / "data" / DATA.name)
    shutil.copy(DATA, folder / "reports.csv")  # re-importing what is there: all already present
    run = subprocess.run([executable(), "--db", "demo.db", "import", str(DATA)], cwd=folder,
                         env=environment(folder), capture_output=True, text=True)
    for step in (["victim", "import", str(VICTIMS)], ["apply-corrections", str(CORRECTIONS)]):
        if run.returncode == 0:
            run = subprocess.run([executable(), "--db", "demo.db", *step], cwd=folder, env=environment(folder),
                                 capture_output=True, text=True)
    for extra in (VICTIMS, CORRECTIONS):
        shutil.copy(extra, folder / "data" / extra.name)
    shutil.copy(VICTIMS, folder / "victims.csv")  # the victim list examples import: already present
    if run.returncode != 0:
        raise RuntimeError(f"could not build the demo ledger: {run.stderr}")
    feed = subprocess.run([executable(), "export", "--format", "ndjson"], cwd=folder, env=environment(folder),
                          capture_output=True, text=True, check=True)
    (folder / "feed.ndjson").write_text(feed.stdout, encoding="utf-8")
    # The ACLED and UCDP files the interoperability examples import: the shipped data in their columns.
    for target, names in (("acled", ("2023-01-13-Peru.csv", "latin-america.csv")), ("ucdp", ("GEDEvent_v23_1.csv",))):
        other = subprocess.run([executable(), "export", "--to", target], cwd=folder, env=environment(folder),
                               capture_output=True, text=True)
        for name in names if other.returncode == 0 else ():
            (folder / name).write_text(other.stdout, encoding="utf-8")
    return folder


# ---- examples ----------------------------------------------------------------------------------


class Example:
    """One ```sh block: its runnable lines, with where they are in the README and what they promise."""

    def __init__(self, line: int, lines: list[tuple[int, str]]):
        self.line, self.lines = line, lines

    def commands(self) -> list[tuple[int, str, int, str | None]]:
        """(README line, command, expected exit code, expected stdout or None) for each protestlog line."""
        found = []
        for number, text in self.lines:
            if text.startswith("protestlog "):
                exit_code = EXIT.search(comment(text))
                prints = PRINTS.search(comment(text))
                found.append((number, text, int(exit_code.group(1)) if exit_code else 0,
                              prints.group(1).strip() if prints else None))
        return found

    def script(self) -> str:
        """The block as a bash script that stops at the first line not doing what the README says."""
        out = ["set -o pipefail"]
        for number, text in self.lines:
            if re.match(r"^[A-Za-z_]\w*=", text):
                out.append(f"{text} || {{ echo 'README line {number}: failed: {escape(text)}' >&2; exit 99; }}")
            elif text.startswith("protestlog "):
                (_, _, code, prints), = [c for c in self.commands() if c[0] == number]
                command = text[:len(text) - len(comment(text))].rstrip()
                out.append(f"out=$({command}); rc=$?; printf '%s\\n' \"$out\"")
                out.append(f"[ $rc -eq {code} ] || {{ echo \"README line {number}: exit $rc, the README says "
                           f"{code}: {escape(text)}\" >&2; exit 99; }}")
                if prints is not None:
                    out.append(f"[ \"$out\" = {quote(prints)} ] || {{ echo \"README line {number}: printed $out, "
                               f"the README says {escape(prints)}\" >&2; exit 99; }}")
        return "\n".join(out) + "\n"

    def run(self, folder: Path) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", self.script()], cwd=folder, env=environment(folder),
                              capture_output=True, text=True, timeout=300)


def comment(text: str) -> str:
    """The trailing `# …` of a shell line (a # inside quotes is not a comment)."""
    quoted = None
    for i, c in enumerate(text):
        if c in "'\"" and quoted in (None, c):
            quoted = None if quoted else c
        elif c == "#" and quoted is None and (i == 0 or text[i - 1].isspace()):
            return text[i:]
    return ""


def escape(text: str) -> str:
    return text.replace("'", "").replace('"', "").replace("$", "").replace("`", "")


def quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def examples(readme: str) -> list[Example]:
    found = []
    for match in FENCE.finditer(readme):
        if match.group(1) != "sh":
            continue
        first = readme.count("\n", 0, match.start()) + 2
        lines, pending, start = [], "", None
        for offset, raw in enumerate(match.group(2).splitlines()):
            start = first + offset if not pending else start
            if raw.rstrip().endswith("\\"):
                pending += raw.rstrip()[:-1] + " "
                continue
            lines.append((start, (pending + raw).strip()))
            pending = ""
        if any(text.startswith("protestlog ") for _, text in lines):
            found.append(Example(first - 1, lines))
    return found


# ---- outputs -----------------------------------------------------------------------------------


def render(output: str, quote_style: bool) -> str:
    if quote_style:
        return "".join(f"> {line}".rstrip() + "\n" for line in output.splitlines())
    return "```text\n" + output + ("" if output.endswith("\n") else "\n") + "```\n"


def regenerate(readme: str, folder: Path) -> str:
    """The README with every output block replaced by what its command prints now."""
    def replace(match):
        run = subprocess.run(["bash", "-c", f"set -o pipefail; {match.group(2)}"], cwd=folder,
                             env=environment(folder), capture_output=True, text=True, timeout=300)
        if run.returncode not in (0, 141):
            raise RuntimeError(f"output command failed ({run.returncode}): {match.group(2)}: {run.stderr}")
        return (f"<!-- output{match.group(1) or ''}: {match.group(2)} -->\n"
                f"{render(run.stdout, bool(match.group(1)))}<!-- /output -->\n")

    return OUTPUT.sub(replace, readme)


VOLATILE = [(re.compile(r"\b[0-9a-f]{64}\b"), "<hash>"), (re.compile(r"\b[0-9a-f]{12,16}\b"), "<head>"),
            (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "<recorded-at>")]


def normalised(text: str) -> str:
    for pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    return text


def drift(readme: str, folder: Path) -> list[str]:
    """The output blocks whose text no longer matches what their command prints (up to hashes)."""
    fresh = regenerate(readme, folder)
    old, new = OUTPUT.findall(readme), OUTPUT.findall(fresh)
    return [f"<!-- output: {o[1]} -->" for o, n in zip(old, new) if normalised(o[2]) != normalised(n[2])]


def main(argv: list[str]) -> int:
    mode = argv[0] if argv else "--check"
    path = Path(argv[1]) if len(argv) > 1 else REPO / "README.md"
    readme = path.read_text("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        folder = demo_folder(Path(tmp) / "demo")
        if mode == "--write":
            path.write_text(regenerate(readme, folder), "utf-8")
            print(f"rewrote the output blocks of {path}", file=sys.stderr)
            return 0
        stale = drift(readme, folder)
        for block in stale:
            print(f"{path}: out of date: {block} (run 'make docs')", file=sys.stderr)
        return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
