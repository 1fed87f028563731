"""Several models' work at once, one thread each, inside one page run."""
from __future__ import annotations

import threading

import torch
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx


def each_model(work, names, *, expected=(ValueError, OSError)) -> dict:
    """{name: work(name)} for several models at once, one thread each: torch lets go of the
    interpreter between operations, so three models' gradients take about the slowest one's time
    on two cores, not the sum. A model whose work raises one of `expected` maps to that error
    (the page says so and goes on with the others); anything else is raised here, on the page's
    own thread, Streamlit's stop and rerun signals included."""
    context, threads = get_script_run_ctx(), torch.get_num_threads()
    outcome = {}

    def run(name):
        torch.set_num_threads(threads)  # a new thread would start from torch's default (every core)
        try:
            outcome[name] = work(name)
        except expected as err:
            outcome[name] = err
        except BaseException as err:  # noqa: BLE001 - carried to the caller's thread and raised there
            outcome[name] = _Failed(err)

    workers = [threading.Thread(target=run, args=(name,), daemon=True) for name in names]
    for worker in workers:
        add_script_run_ctx(worker, context)  # the caches and session state of this run
        worker.start()
    for worker in workers:
        worker.join()
    for value in outcome.values():
        if isinstance(value, _Failed):
            raise value.error
    return {name: outcome[name] for name in names}


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error
