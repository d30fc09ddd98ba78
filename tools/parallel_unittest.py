"""Runs test files' unittest tests concurrently, one line per test.

The integration tests spend their time waiting for emulators, so tests run
in threads: every class's setUpClass and tests at once, while the harness's
one pool of boots (tools/boots.py) runs one Bochs or QEMU per core. Each
test prints one line when it ends (`Class.test ... ok (2.1 s)`); failures
follow in full at the end, then unittest's own closing lines (`Ran N tests
in S s`, `OK` or `FAILED (failures=F, errors=E)`), which .ci/run counts.

A test file has `configure(build)` (its prerequisites checked, its inputs
made; a missing one is a SystemExit naming it) and a main() that calls
main_for([its module]), taking `--build DIR` and names of classes or
Class.test_method to run a subset (default: all). `make integration` runs
every file in one process, so that all their boots share the pool:

  parallel_unittest.py --build build tests/integration/test_boot.py ...
"""
import argparse
import concurrent.futures
import importlib
import os
import sys
import threading
import time
import unittest

import boots

_print_lock = threading.Lock()

# The ids (`module.Class.test`) of the tests this run selected, once main()
# has chosen them: a class that boots its runs up front (in setUpClass) can
# boot only those its selected tests need.
SELECTED = None


def selected(cls, test_name):
    """Whether the run includes CLS's test TEST_NAME (all of them when none
    were named): classes boot only what their selected tests need."""
    return SELECTED is None or f"{cls.__module__}.{cls.__name__}.{test_name}" in SELECTED


def _say(line):
    with _print_lock:
        print(line, flush=True)


def _selected(modules, names):
    """The tests of MODULES, or those NAMES name (each looked up in the
    module that has its first part)."""
    loader = unittest.TestLoader()
    if names:
        suite = unittest.TestSuite()
        for name in names:
            home = next((m for m in modules if hasattr(m, name.split(".")[0])), None)
            suite.addTests(loader.loadTestsFromName(name, home))
    else:
        suite = unittest.TestSuite(loader.loadTestsFromModule(m) for m in modules)
    tests = []

    def flatten(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                flatten(t)
            else:
                tests.append(t)
    flatten(suite)
    by_class = {}
    for t in tests:
        by_class.setdefault(type(t), []).append(t)
    return by_class


def _run_test(test, total):
    result = unittest.TestResult()
    start = time.monotonic()
    test(result)
    seconds = time.monotonic() - start
    if result.errors:
        verdict = "ERROR"
    elif result.failures:
        verdict = "FAIL"
    elif result.skipped:
        verdict = "skipped " + repr(result.skipped[0][1])
    else:
        verdict = "ok"
    _say(f"{type(test).__name__}.{test._testMethodName} ... {verdict} ({seconds:.1f} s)")
    with _print_lock:
        total.failures += result.failures
        total.errors += result.errors
        total.skipped += result.skipped
        total.testsRun += result.testsRun


def _run_class(cls, tests, total, jobs):
    try:
        cls.setUpClass()
    except Exception as e:  # the class's fixture failed: each test is an error
        for t in tests:
            _say(f"{cls.__name__}.{t._testMethodName} ... ERROR (setUpClass)")
            with _print_lock:
                total.errors.append((t, f"setUpClass of {cls.__name__} failed: {e!r}"))
                total.testsRun += 1
        return
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(lambda t: _run_test(t, total), tests))
    finally:
        cls.tearDownClass()


def main(modules, names, jobs=None, unready=()):
    """Runs the tests of MODULES as NAMES select them (all without names);
    returns the exit status. UNREADY: (module name, why) of test files whose
    configure() failed, each counted as an error."""
    jobs = jobs or os.cpu_count() or 1
    global SELECTED
    by_class = _selected(modules, names)
    SELECTED = {t.id() for tests in by_class.values() for t in tests}
    total = unittest.TestResult()
    start = time.monotonic()
    threads = [threading.Thread(target=_run_class, args=(cls, tests, total, jobs))
               for cls, tests in by_class.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - start

    for kind, items in (("ERROR", total.errors), ("FAIL", total.failures)):
        for test, trace in items:
            print("=" * 70)
            print(f"{kind}: {test._testMethodName} ({type(test).__name__})")
            print("-" * 70)
            print(trace)
    for name, why in unready:
        print("=" * 70)
        print(f"ERROR: {name} (configure)")
        print("-" * 70)
        print(why)
    print("-" * 70)
    print(f"Ran {total.testsRun} tests in {seconds:.3f}s")
    print()
    errors = len(total.errors) + len(unready)
    bad = [f"failures={len(total.failures)}"] if total.failures else []
    bad += [f"errors={errors}"] if errors else []
    skipped = [f"skipped={len(total.skipped)}"] if total.skipped else []
    if bad:
        print(f"FAILED ({', '.join(bad + skipped)})")
    else:
        print("OK" + (f" ({', '.join(skipped)})" if skipped else ""))
    sys.stdout.flush()
    return 0 if not bad else 1


def require(build, files, how):
    """For configure(): a SystemExit naming the FILES missing in BUILD and
    HOW to make them."""
    missing = [f for f in files if not os.path.exists(os.path.join(build, f))]
    if missing:
        sys.exit(f"no {', '.join(missing)} in {build}: {how}")


def main_for(modules, argv=None):
    """A test file's main(), or several files' in one process: `--build DIR`
    and the names of the tests to run in ARGV (default: sys.argv). Each
    module's configure(build) runs first; one that fails is counted as an
    error and its tests are not run. Returns the exit status."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--build", default="build")
    a, names = p.parse_known_args(sys.argv[1:] if argv is None else argv)
    ready, unready = [], []
    for m in modules:
        try:
            m.configure(a.build)
            ready.append(m)
        except SystemExit as e:
            name = os.path.basename(m.__file__)
            print(f"{name}: {e}", flush=True)
            unready.append((name, str(e)))
    try:
        return main(ready, names, unready=unready)
    finally:
        boots.finish()


def cli(argv):
    """parallel_unittest.py [--build DIR] FILE.py... [test names]: the test
    files' tests in one process."""
    files = [a for a in argv if a.endswith(".py")]
    modules = []
    for path in files:
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
        modules.append(importlib.import_module(os.path.basename(path)[:-3]))
    return main_for(modules, [a for a in argv if a not in files])


if __name__ == "__main__":
    # The module the test files import (not a second copy as __main__).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import parallel_unittest
    sys.exit(parallel_unittest.cli(sys.argv[1:]))
