import re

from odoo import api, models

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
LEGAL_SUFFIXES = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|corp|corporation|co|company|gmbh|sa|sas|sarl|bv|"
    r"nv|ag|plc|pty|srl|spa|oy|ab|as)\b"
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _q2c_normalize_name(self, name):
        name = re.sub(r"[^\w\s]", " ", (name or "").lower())
        return " ".join(LEGAL_SUFFIXES.sub(" ", name).split())

    @api.model
    def _q2c_duplicate_candidates(self, vals):
        """Companies that may be the one described by `vals` (same VAT, same e-mail domain,
        same normalized name): a person decides, nothing is merged automatically.
        Returns [(partner, reason)]."""
        found = {}
        domain = [("is_company", "=", True)]
        vat = re.sub(r"[^0-9A-Za-z]", "", vals.get("vat") or "").upper()
        if vat:
            self.env["res.partner"].flush_model(["vat"])
            self.env.cr.execute(
                "SELECT id FROM res_partner WHERE is_company AND "
                "upper(regexp_replace(vat, '[^0-9A-Za-z]', '', 'g')) = %s",
                (vat,),
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            for partner in self.search([("id", "in", ids)]):
                found.setdefault(partner, "same VAT")
        email_domain = (vals.get("email") or "").rpartition("@")[2].lower()
        if email_domain and email_domain not in FREE_MAIL_DOMAINS:
            for partner in self.search([*domain, ("email", "=ilike", f"%@{email_domain}")]):
                found.setdefault(partner, "same e-mail domain")
        name = self._q2c_normalize_name(vals.get("name"))
        if name:
            first_word = name.split()[0]
            for partner in self.search([*domain, ("name", "ilike", first_word)]):
                if self._q2c_normalize_name(partner.name) == name:
                    found.setdefault(partner, "same name")
        return list(found.items())
