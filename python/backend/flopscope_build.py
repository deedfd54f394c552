"""PEP 517 build backend for `pip install .`: builds the _flopscope target with CMake (the
project's own build, Release, no tests) and packs it with python/flopscope/*.py into a wheel.

In-tree and dependency-free on purpose: pip's isolated build environment then needs nothing
from a package index, so the install works on a machine without network once
scripts/install-deps.sh has installed the C++ dependencies. Build output goes to
build/python-wheel in the source tree, so a second install only rebuilds what changed.
Environment: FLOPSCOPE_BUILD_JOBS (default: all cores); FLOPSCOPE_WHEEL_BUILD_DIR, a build
directory already configured with FLOPSCOPE_PYTHON on (e.g. build/dev), to build the target
there instead (scripts/pip-check.sh uses it in CI so the check does not build twice).
"""
import base64
import hashlib
import os
import subprocess
import sys
import sysconfig
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NAME, VERSION = "flopscope", "0.1.0"


def _tag():
    impl = "cp%d%d" % sys.version_info[:2]
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s-%s" % (impl, impl, plat)


def _build():
    jobs = os.environ.get("FLOPSCOPE_BUILD_JOBS", str(os.cpu_count() or 2))
    build = os.environ.get("FLOPSCOPE_WHEEL_BUILD_DIR")
    commands = []
    if build:
        build = os.path.join(ROOT, build)
    else:
        build = os.path.join(ROOT, "build", "python-wheel")
        commands.append(["cmake", "-S", ROOT, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                         "-DFLOPSCOPE_BUILD_TESTS=OFF", "-DFLOPSCOPE_BUILD_BENCH=OFF", "-DFLOPSCOPE_PYTHON=ON",
                         "-DFLOPSCOPE_CUDA=OFF", "-DPython3_EXECUTABLE=" + sys.executable])
    commands.append(["cmake", "--build", build, "--target", "_flopscope", "-j", jobs])
    for cmd in commands:
        print(" ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True, stdout=sys.stderr)
    return os.path.join(build, "python", NAME)


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (arcname, digest, len(data))


def _metadata():
    return "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: ML compute counted, predicted and planned\n" \
           "Requires-Python: >=3.9\n" % (NAME, VERSION)


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = "%s-%s.dist-info" % (NAME, VERSION)
    os.makedirs(os.path.join(metadata_directory, info), exist_ok=True)
    with open(os.path.join(metadata_directory, info, "METADATA"), "w") as f:
        f.write(_metadata())
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    package = _build()
    files = []
    for name in sorted(os.listdir(package)):
        # _flopscope*.so and the modules it opens from beside itself (libflopscope_onnx.so)
        if name.endswith(".py") or (name.startswith(("_flopscope", "libflopscope_")) and name.endswith(".so")):
            with open(os.path.join(package, name), "rb") as f:
                files.append(("%s/%s" % (NAME, name), f.read()))
    if not any(a.split("/")[-1].startswith("_flopscope") for a, _ in files):
        raise RuntimeError("the CMake build left no _flopscope module in " + package)
    info = "%s-%s.dist-info" % (NAME, VERSION)
    tag = _tag()
    files.append((info + "/METADATA", _metadata().encode()))
    files.append((info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: flopscope_build\nRoot-Is-Purelib: false\n"
                                    "Tag: %s\n" % tag).encode()))
    wheel = "%s-%s-%s.whl" % (NAME, VERSION, tag)
    record = [_record_line(a, d) for a, d in files] + [info + "/RECORD,,"]
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data in files:
            z.writestr(arcname, data)
        z.writestr(info + "/RECORD", "\n".join(record) + "\n")
    return wheel
