"""The optional C walk of the bodyfile (lccu/fs/_tskbody.c) over Debian's libtsk.

Everything else is declared in pyproject.toml. The extension is ``optional``: where the
headers (``libtsk-dev``) or a compiler are missing, the build goes on without it and
``lccu timeline`` uses the pytsk3 walk (lccu/fs/fastbody.py), same lines, slower.
``python scripts/build_ext.py`` builds it in place in a checkout (a worktree, or after
installing libtsk-dev) without reinstalling lccu.
"""

from setuptools import Extension, setup

TSKBODY = Extension(
    "lccu.fs._tskbody",
    sources=["lccu/fs/_tskbody.c"],
    libraries=["tsk"],
    extra_compile_args=["-O2", "-Wall"],
    optional=True,
)

if __name__ == "__main__":  # the build backend runs this file as __main__
    setup(ext_modules=[TSKBODY])
