from protestlog.cli import run

run()
