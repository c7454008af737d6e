"""The command line shared by the held-out evaluators (ddsp_heldout, rave_heldout):
MODEL AUDIO_DIR [--json]; JSON prints the whole result, otherwise `report` prints it."""
from __future__ import annotations

import argparse
import json


def run(doc: str, evaluate, report, argv=None) -> int:
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("model")
    p.add_argument("audio_dir")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    r = evaluate(a.model, a.audio_dir)
    if a.json:
        print(json.dumps(r, indent=2))
    else:
        report(r)
    return 0
