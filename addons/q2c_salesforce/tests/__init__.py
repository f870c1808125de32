from . import test_mapping, test_outbound_messaging, test_rest, test_soap
