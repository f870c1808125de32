"""State machines of the q2c models: one table of allowed transitions per model.

Each stateful model keeps, beside its `STATES`, a `TRANSITIONS` dict that maps an action (the
`action_<name>` button, or an internal step such as a milestone's deemed acceptance) to a
`Transition`. The model reads the table through one method, `_transition_allowed(action)`,
which both its buttons (through `_check_transition(action)`, which raises the model's message)
and its computed `can_<action>` fields use, so a button and its visibility never disagree.
Like queue_job's `Job.set_done` / `set_failed`, the table says where a record may go; the
model's methods say what happens on the way.
"""

from typing import NamedTuple


class Transition(NamedTuple):
    """`sources`: the states the action starts from; `target`: the state it leads to (None
    when the state stays, e.g. a change order's revision, which is a new record); `group`: the
    xml id of the group allowed to make it, when the model checks it by group."""

    sources: tuple
    target: str | None
    group: str | None = None


def check_table(states, transitions):
    """Fail at import when a table names a state its model does not have."""
    names = {state for state, _label in states}
    for action, transition in transitions.items():
        unknown = (set(transition.sources) | {transition.target}) - names - {None}
        if unknown:
            raise ValueError(f"Transition {action!r} names unknown states {sorted(unknown)}")
    return transitions
