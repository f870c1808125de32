from . import test_outbound_messaging, test_soap
