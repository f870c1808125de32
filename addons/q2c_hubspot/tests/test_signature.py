from odoo.addons.q2c_hubspot import hubspot
from odoo.tests import BaseCase, tagged

# docs/saas-specs.md 2.2, produced by HubSpot's own SDK.
SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
BODY = (
    b'[{"eventId":100,"subscriptionId":2881778,"portalId":62515,"appId":54321,'
    b'"occurredAt":1700000000000,"subscriptionType":"deal.propertyChange","attemptNumber":0,'
    b'"objectId":9876543210,"propertyName":"dealstage","propertyValue":"closedwon",'
    b'"changeSource":"CRM","sourceId":"userId:1234567"}]'
)
URI = "https://odoo.example.com/hubspot/webhook"
V1_DOC_BODY = (
    b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
    b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
    b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
)


@tagged("post_install", "-at_install")
class TestSignature(BaseCase):
    def test_vectors(self):
        self.assertEqual(
            hubspot.signature_v3(SECRET, "POST", URI, BODY, "1700000000000"),
            "eUddxSiLaOLaj30OYXmOtgvkY+U5QrocaNHxN59/zx4=",
        )
        self.assertEqual(
            hubspot.signature_v2(SECRET, "POST", URI, BODY),
            "b8fc9705ad587aabd041ce3d3af6a01430b6e3d7ea6a747d308f75a58343633d",
        )
        self.assertEqual(
            hubspot.signature_v1(SECRET, BODY),
            "77974e414035f4799adf9e0dddec93cf9334177f6c9500d0e8e65a8373632731",
        )
        self.assertEqual(
            hubspot.signature_v1(SECRET, V1_DOC_BODY),
            "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de",
        )
        self.assertEqual(
            hubspot.signature_v2(SECRET, "GET", "https://www.example.com/webhook_uri", b""),
            "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e",
        )

    def test_window_and_versions(self):
        ts = 1700000000000
        v3 = {
            "X-HubSpot-Signature-v3": hubspot.signature_v3(SECRET, "POST", URI, BODY, ts),
            "X-HubSpot-Request-Timestamp": str(ts),
        }
        self.assertTrue(hubspot.verify(v3, BODY, [SECRET], "POST", URI, ts + 299_000))
        cases = {
            "stale": (v3, ts + 301_000, False),
            "future": (v3, ts - 301_000, False),
            "tampered": ({**v3, "X-HubSpot-Request-Timestamp": str(ts + 1)}, ts, False),
            "v1 not allowed": (
                {"X-HubSpot-Signature": hubspot.signature_v1(SECRET, BODY)},
                ts,
                False,
            ),
        }
        for name, (headers, now, legacy) in cases.items():
            with self.subTest(name), self.assertRaises(hubspot.SignatureError):
                hubspot.verify(headers, BODY, [SECRET], "POST", URI, now, allow_legacy=legacy)
        v2 = {
            "X-HubSpot-Signature": hubspot.signature_v2(SECRET, "POST", URI, BODY),
            "X-HubSpot-Signature-Version": "v2",
        }
        self.assertTrue(hubspot.verify(v2, BODY, ["old", SECRET], "POST", URI, ts, True))
        with self.assertRaises(hubspot.SignatureError):
            hubspot.verify(v2, BODY, [SECRET], "POST", URI + "?x=1", ts, True)

    def test_uri_decoding(self):
        self.assertEqual(hubspot.decode_uri("https://h/a%3Ab%2fc"), "https://h/a:b/c")
