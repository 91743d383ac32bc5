from .cli import main

STAGE = "render"  # turns results into outputs: a change re-renders without running a notebook (manifest.py)

main()
