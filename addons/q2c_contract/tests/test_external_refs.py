from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import Q2cContractCase


@tagged("post_install", "-at_install")
class TestContractExternalRefs(Q2cContractCase):
    """A contract shows the ids other systems know it by (q2c_base's external references)."""

    def test_contract_lists_its_bindings_for_integration_people_only(self):
        contract = self._create_contract()
        other = self._create_contract(project_ids=[])
        integration_user = self.env["res.users"].create(
            {
                "name": "CRM integration",
                "login": "crm_integration_ref_test",
                "groups_id": [
                    (
                        6,
                        0,
                        [
                            self.env.ref("base.group_user").id,
                            self.env.ref("q2c_base.group_integration_user").id,
                        ],
                    )
                ],
            }
        )
        system = self.env["q2c.system"].create(
            {"name": "CRM", "system_type": "generic", "user_id": integration_user.id}
        )
        refs = self.env["q2c.external.ref"]
        refs._bind(system, "Opportunity", "006XYZ", contract)
        refs._bind(system, "Contract", "800ABC", contract)
        refs._bind(system, "Opportunity", "006OTHER", other)
        self.assertEqual(
            sorted(contract.q2c_external_ref_ids.mapped("external_id")), ["006XYZ", "800ABC"]
        )
        self.assertEqual(refs._find(system, "Opportunity", "006XYZ"), contract)
        auditor = contract.with_user(self.auditor_user)
        self.assertEqual(len(auditor.q2c_external_ref_ids), 2)
        with self.assertRaises(AccessError):
            contract.with_user(self.pm_user).read(["q2c_external_ref_ids"])
