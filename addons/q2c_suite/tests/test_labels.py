import json
import re

from lxml import etree

from odoo.models import BaseModel
from odoo.tests import TransactionCase, tagged

# The addons whose labels this test reads (issue 13, item 12), and the q2c_base models among
# them (the rest of q2c_base is read by its own tests). Extend as areas are swept.
SWEPT_MODULES = {
    "q2c_timesheet",
    "q2c_expense",
    "q2c_sync",
    "q2c_billing",
    "q2c_billing_report",
    "q2c_toggl",
    "q2c_clockify",
    "q2c_harvest",
    "q2c_harvest_expense",
    "q2c_tempo",
    "q2c_salesforce",
    "q2c_hubspot_payment",
    "q2c_salesforce_payment",
}
SWEPT_BASE_MODELS = {
    "q2c.job.tracked",
    "q2c.outbound.log",
    "q2c.external.ref",
    "q2c.field.ownership",
}
# A word of a label that is a technical name or an abbreviation spelled as Odoo derives it
# from a field name ("job_uuid" -> "Job Uuid", "nte_mode" -> "Nte Mode", "external_id" ->
# "External"): a person reads "Job", "Cap Mode", "External ID". Acronyms are written in
# capitals (API, URL, ID); these Title-case forms are what `str.title()` makes of them.
TECHNICAL_WORDS = {
    "Api",
    "Co",
    "Crm",
    "Fx",
    "Http",
    "Id",
    "Ids",
    "Json",
    "Ms",
    "Nte",
    "Pm",
    "Q2C",
    "Q2c",
    "q2c",
    "Ref",
    "Res",
    "Sla",
    "Sov",
    "Sql",
    "Url",
    "Utc",
    "Uuid",
}


def label_faults(label, name=None, hint=False):
    """Why `label` does not read as words (empty: it does). `name`: the technical name it
    labels, when it is a field's; `hint`: a placeholder, which may start in lower case."""
    faults = []
    if not label or not label.strip():
        return ["empty"]
    if "_" in label:
        faults.append("underscore")
    if label[0].islower() and not hint:
        faults.append("starts in lower case")
    if name and "_" in name and label.lower() == name.lower():
        faults.append("the technical name")
    if re.search(r" (No|Nr)\.?$", label):
        faults.append("an abbreviated number")
    words = set(re.findall(r"[A-Za-z0-9]+", label))
    technical = sorted(words & TECHNICAL_WORDS)
    if technical:
        faults.append(f"technical words {technical}")
    return faults


@tagged("post_install", "-at_install")
class TestLabels(TransactionCase):
    """Every label a person reads reads as words: field labels and selection values of the
    swept addons' fields (as `fields_get` gives them), the `string`s of their views, and
    percentages shown with at most two decimals."""

    def _swept_fields(self):
        """(model, field name, field) of every field the swept addons define."""
        for model_name in sorted(self.env.registry):
            model = self.env[model_name]
            for name, field in model._fields.items():
                modules = set(field._modules or ())
                swept = modules & SWEPT_MODULES or (
                    "q2c_base" in modules and model_name in SWEPT_BASE_MODELS
                )
                if swept and not field.related and name not in models_magic():
                    yield model_name, name, field

    def test_field_labels_read_as_words(self):
        faults = []
        for model_name, name, field in self._swept_fields():
            info = self.env[model_name].fields_get([name], ["string", "type", "selection"])
            info = info[name]
            # Odoo drops `_id` from every field's name for its label: a Char `external_id`
            # reads "External", a `correlation_id` "Correlation".
            for fault in label_faults(info["string"], name):
                faults.append(f"{model_name}.{name}: {info['string']!r}: {fault}")
            derived = (
                name.endswith("_id") and info["string"] == name[:-3].replace("_", " ").title()
            )
            if derived and field.type not in ("many2one", "many2one_reference"):
                faults.append(f"{model_name}.{name}: {info['string']!r}: derived from _id")
            for value, value_label in info.get("selection") or ():
                for fault in label_faults(value_label):
                    faults.append(f"{model_name}.{name} = {value!r}: {value_label!r}: {fault}")
        self.assertFalse(faults, "labels that do not read as words:\n" + "\n".join(faults))

    def test_records_have_names(self):
        """A record of a swept model is named for a person wherever a field points to it:
        by its name field (`_rec_name`) or its own `_compute_display_name`, never Odoo's
        fallback `q2c.sync.run,12`."""
        unnamed = []
        for model_name in sorted(self.env.registry):
            model = self.env[model_name]
            if model._abstract or model._transient:
                continue
            if model._original_module not in SWEPT_MODULES and model_name not in SWEPT_BASE_MODELS:
                continue
            named = model._rec_name and model._rec_name in model._fields
            computed = type(model)._compute_display_name is not BaseModel._compute_display_name
            if not (named or computed):
                unnamed.append(model_name)
        self.assertFalse(unnamed, f"models whose records read as model,id: {unnamed}")

    def _swept_views(self):
        """The views of the swept addons, and q2c_base's views of the swept models."""
        data = self.env["ir.model.data"].search(
            [("model", "=", "ir.ui.view"), ("module", "in", [*SWEPT_MODULES, "q2c_base"])]
        )
        views = self.env["ir.ui.view"]
        for record in data:
            view = self.env["ir.ui.view"].browse(record.res_id).exists()
            if record.module != "q2c_base" or view.model in SWEPT_BASE_MODELS:
                views |= view
        return views

    def test_view_strings_read_as_words(self):
        faults = []
        for view in self._swept_views():
            arch = etree.fromstring(view.arch_db.encode())
            for node in arch.iter():
                for attribute in ("string", "sum", "placeholder", "confirm"):
                    text = node.get(attribute)
                    if text is None or not isinstance(node.tag, str):
                        continue
                    for fault in label_faults(text, hint=attribute == "placeholder"):
                        faults.append(
                            f"{view.xml_id or view.name} <{node.tag} {attribute}>: {fault}"
                        )
        self.assertFalse(faults, "view strings that do not read as words:\n" + "\n".join(faults))

    def _walk(self, node, model, found):
        """(model, field node) of every field node, the fields of inline sub-views with
        their own model."""
        for child in node:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "field" and child.get("name") in model._fields:
                found.append((model, child))
                field = model._fields[child.get("name")]
                if field.type in ("one2many", "many2many"):
                    self._walk(child, self.env[field.comodel_name], found)
                    continue
            self._walk(child, model, found)
        return found

    def test_percentages_show_two_decimals(self):
        """A percentage of the swept addons is shown with at most two decimals wherever a
        view of theirs shows it ("10.00", not "10.0000")."""
        faults = []
        swept = {(model, name) for model, name, _field in self._swept_fields()}
        roots = set()
        for view in self._swept_views():
            root = view
            while root.mode == "extension" and root.inherit_id:
                root = root.inherit_id
            # A QWeb template (a printed report) is no view of a model's fields.
            if root.type != "qweb":
                roots.add((root.model, root.id, root.type))
        for model_name, view_id, view_type in sorted(roots):
            model = self.env[model_name]
            arch = etree.fromstring(model.get_view(view_id, view_type)["arch"])
            for node_model, node in self._walk(arch, model, []):
                name = node.get("name")
                field = node_model._fields[name]
                if (node_model._name, name) not in swept or field.type != "float":
                    continue
                if "%" not in (field.string or "") and "percent" not in name:
                    continue
                digits = json.loads(node.get("digits")) if node.get("digits") else None
                digits = digits or field.get_digits(self.env)
                if not digits or digits[1] > 2:
                    faults.append(f"{node_model._name}.{name} in view {view_id}: {digits}")
        self.assertFalse(faults, "percentages with more than two decimals:\n" + "\n".join(faults))


def models_magic():
    """Fields every model has, labelled by Odoo."""
    return {"id", "display_name", "create_uid", "create_date", "write_uid", "write_date"}
