from odoo import api, fields, models

from .. import matching

FREE_MAIL_DOMAINS = {
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Matching keys (q2c_base/matching.py), stored and indexed so the candidate search
    # compares keys normalised exactly like the probe's.
    q2c_name_key = fields.Char(compute="_compute_q2c_match_keys", store=True, index=True)
    q2c_email_domain = fields.Char(compute="_compute_q2c_match_keys", store=True, index=True)
    q2c_vat_key = fields.Char(compute="_compute_q2c_match_keys", store=True, index=True)

    @api.depends("name", "email", "vat")
    def _compute_q2c_match_keys(self):
        for partner in self:
            partner.q2c_name_key = matching.name_key(partner.name) or False
            partner.q2c_email_domain = matching.email_domain(partner.email) or False
            partner.q2c_vat_key = matching.vat_key(partner.vat) or False

    @api.model
    def _q2c_duplicate_candidates(self, vals):
        """Companies that may be the one described by `vals` (same VAT, same e-mail domain,
        same name, each compared by its matching key: accents, case, punctuation and legal
        forms aside): a person decides, nothing is merged automatically.
        Returns [(partner, reason)]."""
        found = {}
        company = [("is_company", "=", True)]
        checks = [
            ("q2c_vat_key", matching.vat_key(vals.get("vat")), "same VAT"),
            ("q2c_email_domain", matching.email_domain(vals.get("email")), "same e-mail domain"),
            ("q2c_name_key", matching.name_key(vals.get("name")), "same name"),
        ]
        for field, key, reason in checks:
            if not key or (field == "q2c_email_domain" and key in FREE_MAIL_DOMAINS):
                continue
            for partner in self.search([*company, (field, "=", key)]):
                found.setdefault(partner, reason)
        return list(found.items())
