"""Runs a module's unittest tests concurrently, one line per test.

The integration tests spend their time waiting for emulators, so tests run
in threads: every class's setUpClass and tests at once, while the emulator
harnesses (bochs_boot.EMULATOR_SLOTS) let one Bochs or QEMU per core run at a
time. Each test prints one line when it ends (`Class.test ... ok (2.1 s)`);
failures follow in full at the end, then unittest's own closing lines
(`Ran N tests in S s`, `OK` or `FAILED (failures=F, errors=E)`), which
.ci/run counts.

Usage: parallel_unittest.main(module, argv) with argv naming classes or
Class.test_method to run a subset (default: all).
"""
import concurrent.futures
import os
import sys
import threading
import time
import unittest

_print_lock = threading.Lock()

# The ids (`module.Class.test`) of the tests this run selected, once main()
# has chosen them: a class that boots its runs up front (in setUpClass) can
# boot only those its selected tests need.
SELECTED = None


def _say(line):
    with _print_lock:
        print(line, flush=True)


def _selected(modules, names):
    """The tests of MODULES (a module or a list), or those NAMES name (each
    looked up in the module that has its first part)."""
    modules = modules if isinstance(modules, (list, tuple)) else [modules]
    loader = unittest.TestLoader()
    if names:
        suite = unittest.TestSuite()
        for name in names:
            home = next((m for m in modules if hasattr(m, name.split(".")[0])), modules[0])
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


def main(module, argv, jobs=None):
    """Runs the tests of MODULE (or of each module in a list) as selected
    by ARGV; returns the exit status."""
    jobs = jobs or os.cpu_count() or 1
    global SELECTED
    by_class = _selected(module, argv)
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
    print("-" * 70)
    print(f"Ran {total.testsRun} tests in {seconds:.3f}s")
    print()
    bad = [f"failures={len(total.failures)}"] if total.failures else []
    bad += [f"errors={len(total.errors)}"] if total.errors else []
    skipped = [f"skipped={len(total.skipped)}"] if total.skipped else []
    if bad:
        print(f"FAILED ({', '.join(bad + skipped)})")
    else:
        print("OK" + (f" ({', '.join(skipped)})" if skipped else ""))
    sys.stdout.flush()
    return 0 if not bad else 1
