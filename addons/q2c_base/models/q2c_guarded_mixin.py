"""Workflow fields: written by the model's own actions (or billing, ingestion), never by a
plain `write`.

A form's `readonly` is only a convenience: RPC writes any field its caller may write. A model
inheriting `q2c.guarded.mixin` names its workflow fields (state, amounts kept by billing,
approval fields) in `_q2c_guarded_fields` and its received content in `_q2c_immutable_fields`.
`write` then refuses a guarded field unless the caller is the superuser or the model's own
code released it (`_q2c_guarded_write`), and refuses an immutable field always; `create`
accepts a guarded field only at its default value (a record starts in its initial state).

The release is a Python object put in the context by `_q2c_guarded_write`: an RPC payload
(JSON or XML) cannot carry one, so no caller forges it, and unlike `sudo()` it keeps the
caller's own access rights and record rules for the write. It names the models it releases,
so a released write does not release what it cascades into on other models.
"""

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

RELEASE_KEY = "q2c_guard_release"


class _Release:
    """Marker of a write made by a model's own workflow code (see the module docstring)."""

    __slots__ = ("models",)

    def __init__(self, model_names):
        self.models = frozenset(model_names)


class Q2cGuardedMixin(models.AbstractModel):
    _name = "q2c.guarded.mixin"
    _description = "Fields Written Only by Their Actions"

    def _q2c_guarded_fields(self):
        """Fields only the model's actions (or billing, ingestion) write. Override with
        `super()._q2c_guarded_fields() | {...}`; each should be tracked when the model has a
        chatter, so that every change shows who made it and when."""
        return set()

    def _q2c_immutable_fields(self):
        """Fields set at creation and never written again, not even by the superuser
        (received payloads). A purge clears them with its own SQL, never through `write`."""
        return set()

    def _q2c_released(self):
        release = self.env.context.get(RELEASE_KEY)
        return isinstance(release, _Release) and self._name in release.models

    def _q2c_guarded_write(self, vals):
        """Write workflow fields from the model's own code (an action, billing, a cron), with
        the caller's rights: call it after the action's own access and state checks."""
        return self._q2c_guarded_env().write(vals)

    def _q2c_guarded_env(self):
        """These records (or this model) with their guarded fields released, with the
        caller's rights: for a `create` or `copy` that sets workflow values (an import, a
        correction). The model's own code only, after its checks; records it returns are
        given back in the caller's environment (`with_env`), never released."""
        return self.with_context(**{RELEASE_KEY: _Release({self._name})})

    def _q2c_model_label(self):
        """What a person calls a record of this model (a model's `_q2c_noun`, e.g. "Time
        entry" for account.analytic.line), else its description."""
        noun = getattr(self, "_q2c_noun", None)
        return self.env._(noun) if noun else self._description

    def _q2c_field_labels(self, names):
        return ", ".join(
            sorted(self._fields[name].get_description(self.env)["string"] for name in names)
        )

    def _q2c_check_guarded_write(self, vals):
        immutable = self._q2c_immutable_fields().intersection(vals)
        if immutable and self:
            raise UserError(
                _(
                    "%(fields)s of %(model)s is kept as received and never changes.",
                    fields=self._q2c_field_labels(immutable),
                    model=self._description,
                )
            )
        guarded = self._q2c_guarded_fields().intersection(vals)
        if guarded and not (self.env.su or self._q2c_released()):
            raise AccessError(
                _(
                    "%(fields)s of %(model)s can change only through its actions (the "
                    "buttons), which record who did it and when.",
                    fields=self._q2c_field_labels(guarded),
                    model=self._q2c_model_label(),
                )
            )

    def _q2c_check_guarded_create(self, vals_list):
        """A new record starts in its initial state: a guarded field is only given its
        default value (the superuser and the model's own code excepted)."""
        if self.env.su or self._q2c_released():
            return
        guarded = self._q2c_guarded_fields()
        for vals in vals_list:
            given = guarded.intersection(vals)
            if not given:
                continue
            defaults = self.default_get(list(given))
            changed = {
                name
                for name in given
                if vals[name] != defaults.get(name) and (vals[name] or defaults.get(name))
            }
            if changed:
                raise AccessError(
                    _(
                        "A new %(model)s starts in its initial state: %(fields)s can be set "
                        "only by its actions.",
                        model=self._q2c_model_label(),
                        fields=self._q2c_field_labels(changed),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self._q2c_check_guarded_create(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._q2c_check_guarded_write(vals)
        return super().write(vals)
