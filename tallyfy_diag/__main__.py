from tallyfy_diag.cli import run

run()
