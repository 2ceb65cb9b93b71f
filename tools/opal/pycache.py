"""tools/opal/pycache.py PREFIX VENV IMAGE_VENV - byte-code for the OPAL images.

Run by tests/env/up with the venv's interpreter.  Compiles the standard
library (/usr/lib/python3.11) and the venv into PREFIX, laid out as
PYTHONPYCACHEPREFIX expects for the paths the files have *in the image*
(the venv is copied to IMAGE_VENV, the standard library stays where it is).

The local images' files all carry the same mtime (images.c builds a
reproducible archive), so the usual timestamp-checked .pyc files would
never match and every start would compile everything again (about 5 s of
CPU for opal-server).  These are checked-hash .pyc files: Python hashes the
source at import and uses the .pyc when it matches, whatever the mtime, and
compiles in memory when a source changed (an apt upgrade of the standard
library), so they can never be stale.
"""
import importlib.util
import os
import py_compile
import sys


def trees(venv, image_venv):
    stdlib = os.path.dirname(os.__file__)
    yield stdlib, stdlib
    yield os.path.join(venv, "lib"), os.path.join(image_venv, "lib")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: pycache.py PREFIX VENV IMAGE_VENV")
    prefix, venv, image_venv = sys.argv[1:]
    done = skipped = 0
    for host_root, image_root in trees(venv, image_venv):
        for dirpath, dirnames, filenames in os.walk(host_root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                src = os.path.join(dirpath, name)
                image_src = image_root + src[len(host_root):]
                saved, sys.pycache_prefix = sys.pycache_prefix, prefix
                try:
                    cfile = importlib.util.cache_from_source(image_src)
                finally:
                    sys.pycache_prefix = saved
                try:
                    py_compile.compile(src, cfile=cfile, dfile=image_src, doraise=True,
                                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
                    done += 1
                except (py_compile.PyCompileError, SyntaxError, UnicodeDecodeError):
                    skipped += 1  # test data written in Python 2 and the like: never imported
    print(f"pycache: {done} modules compiled into {prefix}, {skipped} skipped")


if __name__ == "__main__":
    main()
