"""Pando's helper for programs run by a command work (standard library only).

Pando puts this file's folder on PYTHONPATH of every command it runs, so a script imports it as it is::

    import pando_job

    point, options = pando_job.args()           # the job's arguments, as the work was called
    if point["x"] < 0:
        pando_job.fail("x must be >= 0", retryable=False)   # the job fails now, without a retry
    pando_job.result({"loss": point["x"] ** 2})  # the job's result, as JSON

or, shorter, ``pando_job.run(objective)``: calls ``objective(*args)`` and writes what it returns.
The file is also named by $PANDO_PYTHON_HELPER, to be copied where a container cannot see it.
See docs/commands.md.
"""

import json
import math
import os
import sys
import traceback

__all__ = ["args", "kwargs", "job", "result", "fail", "run", "NonRetryable", "NON_RETRYABLE_EXIT"]

#: The exit code by which a command declares its failure not retryable (Pando passes it as $PANDO_NON_RETRYABLE_EXIT).
NON_RETRYABLE_EXIT = int(os.environ.get("PANDO_NON_RETRYABLE_EXIT", "87"))


class NonRetryable(Exception):
    """Raised by a function given to run(): the job fails after this attempt, without retries."""


def _variable(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"${name} is not set: this program is meant to be run by a Pando command work, "
            f"which sets it (to try it by hand, set {name} yourself)"
        )
    return value


def args():
    """The job's arguments: the list the work was called with (a call w(a, b) gives [a, b])."""
    with open(_variable("PANDO_ARGS"), encoding="utf-8") as f:
        values = json.load(f)
    if not isinstance(values, list):
        raise RuntimeError(f"$PANDO_ARGS holds {type(values).__name__}, not the list of the job's arguments")
    return values


def kwargs():
    """The job's trailing options object (the iDDS form's keyword arguments), or {} if the last argument is not one."""
    values = args()
    return values[-1] if values and isinstance(values[-1], dict) else {}


def job():
    """Who this job is: its ids, attempt (1 for the first), index in its task, key, and working directory."""
    env = os.environ
    number = lambda name: int(env[name]) if env.get(name, "").isdigit() else None  # noqa: E731
    return {
        "job_id": number("PANDO_JOB_ID"),
        "task_id": number("PANDO_TASK_ID"),
        "workflow_id": number("PANDO_WORKFLOW_ID"),
        "attempt": number("PANDO_ATTEMPT"),
        "index": number("PANDO_JOB_INDEX"),
        "key": env.get("PANDO_JOB_KEY"),
        "work_dir": env.get("PANDO_WORK_DIR"),
    }


def _check_json(value, path="result"):
    if value is None or isinstance(value, (bool, str)):
        return
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{path} is {value}, which JSON cannot hold: return None or a finite number")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path} has the key {key!r}; JSON object keys are strings")
            _check_json(item, f"{path}[{key!r}]")
        return
    raise ValueError(f"{path} is of type {type(value).__name__}, which JSON cannot hold: convert it to numbers, strings, lists or dicts")


def result(value):
    """Writes the job's result as JSON to $PANDO_RESULT (it wins over anything printed)."""
    _check_json(value)
    path = _variable("PANDO_RESULT")
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(value, f, allow_nan=False)
    # Renamed into place: a command killed while writing leaves no half result.
    os.replace(partial, path)


def fail(message, retryable=True):
    """Ends the command with a failure: the message goes to stderr (the job's error quotes its end).

    retryable=False exits with NON_RETRYABLE_EXIT: the job then fails after this attempt, whatever its
    maxAttempts, for failures that a retry cannot mend (bad input, a point outside the domain).
    """
    print(message, file=sys.stderr, flush=True)
    sys.stdout.flush()
    sys.exit(1 if retryable else NON_RETRYABLE_EXIT)


def run(function):
    """Calls function(*args()), writes what it returns as the result, and turns errors into failures:
    NonRetryable fails without retries; any other exception is printed and retried."""
    try:
        value = function(*args())
    except NonRetryable as e:
        fail(f"{type(e).__name__}: {e}", retryable=False)
    except Exception:  # noqa: BLE001 - every error of the function is the job's error
        traceback.print_exc()
        fail("the function raised an exception (traceback above)")
    result(value)
