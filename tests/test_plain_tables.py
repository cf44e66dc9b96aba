"""Piped tables whose values all fit on one line are written directly, not laid out by Rich (8.6 s
for `list` of 10,000 records, 84 s for 100,000): the text must be exactly what Rich prints."""

import pytest

from protestlog import tables

COMMANDS = [
    ("list",), ("list", "--since", "2023-01-01"), ("summary", "--since", "2022-12-07"),
    ("summary", "--since", "2022-12-07", "--by-region"), ("victim", "list"), ("milestone", "list"), ("duplicates",),
    ("query", "select id, place, note from records where note like '%Juliaca%'"),
    ("query", "select id, region, place, killed, injured from records order by id"),
    ("query", "select region, count(*) n, sum(killed) k from records group by region"),
    ("query", "select 1 as 'wide ｗｉｄｅ', 'Apurímac' as r, null as n"),
]


@pytest.mark.parametrize("columns", ["80", "200", "400"])
def test_the_direct_writer_prints_what_rich_prints(cli, shipped, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    used = []
    real = tables._print_plain
    monkeypatch.setattr(tables, "_print_plain", lambda *a: (used.append(1), real(*a)))
    compared = 0
    for args in COMMANDS:
        monkeypatch.setattr(tables, "PLAIN_FAST_PATH", True)
        fast = cli(*args)
        monkeypatch.setattr(tables, "PLAIN_FAST_PATH", False)
        slow = cli(*args)
        assert (fast.exit_code, fast.stdout, fast.stderr) == (slow.exit_code, slow.stdout, slow.stderr), args
        assert fast.exit_code == 0 and fast.stdout, (args, fast.stderr)
        compared += 1
    assert compared >= 10
    assert used  # the direct writer really ran for some of these tables (wide enough to fit)
