"""Start a sandboxed process: `python -I -S run.py CONFIG_JSON` serves as the
worker CONFIG_JSON describes (worker.start); `python -I -S run.py --zygote
SITE_JSON` forks such workers on request (zygote.zygote_main).

`-I` keeps this folder off the import path, so it is loaded here as the
package `_sandbox`, by path: its modules import each other relatively, and
a submission's own `protocol.py` or `worker.py` cannot stand in for them.
Everything is imported before any sandbox is entered (a namespaces-tier
worker's filesystem no longer has this folder).
"""
import importlib.util
import json
import os
import sys

PACKAGE = "_sandbox"


def load_package():
    """This folder as the package PACKAGE, with every module imported."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(PACKAGE, os.path.join(here, "__init__.py"),
                                                  submodule_search_locations=[here])
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    for name in ("protocol", "errors", "confine", "leftovers", "namespaces", "device_mode", "worker", "zygote"):
        importlib.import_module(f"{PACKAGE}.{name}")
    return package


def main(argv):
    load_package()
    if argv[1] == "--zygote":
        sys.modules[f"{PACKAGE}.zygote"].zygote_main(json.loads(argv[2]))
    else:
        sys.modules[f"{PACKAGE}.worker"].start(json.loads(argv[1]))
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
