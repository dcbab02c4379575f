"""`cloud-init schema --config-file FILE` for each FILE given, in one Python process.

Each check runs the installed cloud-init's own command line, cloudinit.cmd.main.main (what
/usr/bin/cloud-init calls), with the argv the command gets, its own stdout and stderr (file
descriptors 1 and 2 sent to a file per check, so logging handlers land there too) and its own exit
status. Starting cloud-init's Python once per file cost more CPU than the rest of the template
tests. Prints one JSON list: [{"file": FILE, "status": N, "output": TEXT}, ...].
"""

import json
import os
import sys
import tempfile
import traceback

from cloudinit.cmd.main import main


def exit_status(code):
    """The process status sys.exit(code) gives (None: 0, a number: itself, else 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def check(path):
    with tempfile.TemporaryFile() as out:
        saved = os.dup(1), os.dup(2)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            try:
                status = exit_status(main(["cloud-init", "schema", "--config-file", path]))
            except SystemExit as stop:
                status = exit_status(stop.code)
            except Exception:
                traceback.print_exc()
                status = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        return {"file": path, "status": status, "output": out.read().decode()}


print(json.dumps([check(path) for path in sys.argv[1:]]))
