from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestTimesheetReportView(TransactionCase):
    def test_a_report_view_built_on_the_timesheet_search_validates(self):
        """sale_timesheet builds the timesheet report's search view (model
        timesheets.analysis.report) as a primary view inheriting the timesheets' search view,
        with every extension of it, q2c's filters included. Created here the same way, it
        must validate (before the fix: "Unknown field q2c_contract_id in group_by", and
        installing sale_timesheet beside q2c failed), and the report must read the fields."""
        view = self.env["ir.ui.view"].create(
            {
                "name": "timesheets.analysis.report.search (as sale_timesheet)",
                "model": "timesheets.analysis.report",
                "inherit_id": self.env.ref("hr_timesheet.hr_timesheet_line_search").id,
                "mode": "primary",
                "arch": '<search position="attributes"><attribute name="string">'
                "Timesheet Report</attribute></search>",
            }
        )
        arch = self.env["timesheets.analysis.report"].get_view(view.id, "search")["arch"]
        self.assertIn("q2c_group_contract", arch)
        groups = self.env["timesheets.analysis.report"].read_group(
            [("q2c_billing_status", "!=", False)], ["unit_amount:sum"], ["q2c_contract_id"]
        )
        self.assertIsInstance(groups, list)
