"""Every public function, class and method of the package has a numpydoc docstring: a summary line,
and a ``Parameters`` section when it takes more than one argument besides ``self``."""

import importlib
import inspect
import pkgutil

import pytest

import eventstudy

SKIP_MODULES = {"eventstudy.__main__"}


def public_modules():
    for info in pkgutil.walk_packages(eventstudy.__path__, "eventstudy."):
        if info.name in SKIP_MODULES or any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        yield importlib.import_module(info.name)


def public_callables():
    seen = set()
    for mod in public_modules():
        for name, obj in vars(mod).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
                continue
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{mod.__name__}.{name}", obj
            if inspect.isclass(obj):
                for mname, m in vars(obj).items():
                    if mname.startswith("_") or not inspect.isfunction(m):
                        continue
                    yield f"{mod.__name__}.{name}.{mname}", m


def arguments(fn) -> list[str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters if p not in ("self", "cls")]


CALLABLES = sorted(public_callables())


def test_there_is_something_to_check():
    assert len(CALLABLES) > 150


@pytest.mark.parametrize("name,obj", CALLABLES, ids=[n for n, _ in CALLABLES])
def test_numpydoc_docstring(name, obj):
    doc = inspect.getdoc(obj)
    assert doc and doc.strip().splitlines()[0].strip(), f"{name} has no docstring"
    if inspect.isfunction(obj) and len(arguments(obj)) > 1:
        assert "Parameters\n----------" in doc, f"{name}({', '.join(arguments(obj))}) documents no Parameters"
