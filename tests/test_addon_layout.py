"""Cross-addon rules from docs/development.md, checked on the installed suite."""

import ast
import re
import tomllib
from pathlib import Path

from odoo.tests import TransactionCase, tagged

ADDONS = Path(__file__).resolve().parents[1] / "addons"
REQUIRED_KEYS = {"name", "version", "license", "author", "website", "category", "depends"}


def manifests():
    for path in sorted(ADDONS.glob("*/__manifest__.py")):
        yield path.parent.name, ast.literal_eval(path.read_text())


# Outside odoo.addons, Odoo's metaclass gives no default tags: state them.
@tagged("standard", "post_install", "-at_install")
class TestAddonLayout(TransactionCase):
    def test_manifests_follow_the_conventions(self):
        found = dict(manifests())
        self.assertIn("q2c_base", found)
        for name, manifest in found.items():
            with self.subTest(addon=name):
                self.assertTrue(name.startswith("q2c_"))
                self.assertLessEqual(REQUIRED_KEYS, set(manifest))
                self.assertNotIn("description", manifest)
                self.assertEqual(manifest["license"], "LGPL-3")
                self.assertRegex(manifest["version"], r"^18\.0\.\d+\.\d+\.\d+$")

    def test_every_addon_has_a_description_fragment(self):
        for name, _manifest in manifests():
            with self.subTest(addon=name):
                fragment = ADDONS / name / "readme" / "DESCRIPTION.md"
                self.assertTrue(fragment.is_file(), f"{fragment} is missing")
                self.assertTrue(fragment.read_text().strip())

    def test_every_addon_has_a_whool_pyproject(self):
        """OCA's 18.0 packaging: the whool build backend reads the version from the manifest."""
        for name, _manifest in manifests():
            with self.subTest(addon=name):
                path = ADDONS / name / "pyproject.toml"
                self.assertTrue(path.is_file(), f"{path} is missing")
                pyproject = tomllib.loads(path.read_text())
                self.assertEqual(pyproject["project"]["name"], f"odoo-addon-{name}")
                self.assertEqual(pyproject["project"]["dynamic"], ["version"])
                self.assertEqual(pyproject["build-system"]["requires"], ["whool"])
                self.assertEqual(pyproject["build-system"]["build-backend"], "whool.buildapi")

    def test_manifest_versions_match_the_installed_modules(self):
        modules = self.env["ir.module.module"].search([("name", "=like", "q2c\\_%")])
        installed = {m.name: m.latest_version for m in modules}
        for name, manifest in manifests():
            with self.subTest(addon=name):
                self.assertEqual(installed.get(name), manifest["version"])
                self.assertTrue(re.match(r"^18\.0\.", installed[name]))
