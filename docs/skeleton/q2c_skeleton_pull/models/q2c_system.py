from odoo import fields, models

from .. import mapping

SKELETON_API = "https://api.example.com/v1"
TIME_MODEL = "account.analytic.line"


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("skeletonpull", "Skeleton Pull")],
        ondelete={"skeletonpull": "set generic"},
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "skeletonpull").update({"supports_pull": True})
        return result

    # --- pull hooks (q2c_sync): every other type goes to super() ---------------------------

    def _sync_page_request(self, run, page_no):
        """GET /time_entries updated since the run's window start, by page number."""
        if self.system_type != "skeletonpull":
            return super()._sync_page_request(run, page_no)
        params = {"page": page_no, "per_page": max(self.pull_page_size, 1)}
        if run.updated_since:
            params["updated_since"] = run.updated_since.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{(self.base_url or SKELETON_API).rstrip('/')}/time_entries", params

    def _sync_parse_page(self, data):
        """The answer tells `total_pages`: page 1 then enqueues the others at once."""
        if self.system_type != "skeletonpull":
            return super()._sync_parse_page(data)
        return mapping.page(data)

    def _sync_stream_model(self, stream):
        """Every stream of this connector writes time entries."""
        if self.system_type != "skeletonpull":
            return super()._sync_stream_model(stream)
        return TIME_MODEL
