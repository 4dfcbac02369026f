"""Shared test set-up for the whole repository."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:
    from tests.channels.fake_microsoft import BackgroundMicrosoft
    from tests.e2e_stack import RunningStack

# Quiet SQLAlchemy 2.0 migration warnings (Rasa pins SQLAlchemy 1.4); real warnings still show.
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


@pytest.fixture(scope="session")
def e2e_microsoft() -> Iterator["BackgroundMicrosoft"]:  # imported lazily: unit-only runs never load it
    """The Microsoft stand-in (login, OpenID keys, Bot Connector) that the shared stack's Teams channel uses."""
    from tests.channels.fake_microsoft import BackgroundMicrosoft
    from tests.e2e_stack import model_or_skip

    model_or_skip()  # before starting anything
    background = BackgroundMicrosoft()
    background.start()
    yield background
    background.close()


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory, e2e_microsoft: "BackgroundMicrosoft") -> Iterator["RunningStack"]:
    """One running assistant (backend, action server, Rasa) shared by every end-to-end module of the run."""
    from tests.e2e_stack import shared_stack

    fake = e2e_microsoft.fake
    with shared_stack(tmp_path_factory.mktemp("e2e-shared"), fake.openid_url, fake.login_url) as running:
        yield running


@pytest.fixture(scope="session")
def trained_agent() -> Any:
    """The trained model as `rasa run` loads it (NLU, guard, policies), loaded once for the real-NLU modules."""
    from rasa.core.agent import Agent

    from tests.e2e_stack import model_or_skip

    return Agent.load(str(model_or_skip()))


# pytest-xdist (make test runs 2 workers, --dist loadgroup): everything that talks to the shared stack or the
# loaded model runs in one group ("stack") on one worker. The e2e tests that start processes of their own (fault
# matrix, production stores, replicas, Teams start-up) form a second group ("own_stack"), so they run one after
# another (Redis databases, PostgreSQL roles and HAProxy of their own) on whichever worker is free: that keeps
# the two workers' loads close instead of queueing every Rasa start behind the shared one. The rest of the suite
# fills the gaps. Without xdist the markers do nothing.
STACK_FIXTURES = frozenset({"e2e_stack", "e2e_microsoft", "trained_agent"})


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups into the test ids
def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue  # a module that names its group itself (e.g. it asks for the shared stack dynamically)
        if STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("stack"))
        elif item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("own_stack"))
