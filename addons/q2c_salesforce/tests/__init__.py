from . import test_outbound_messaging, test_rest, test_soap
