from . import test_provisioning
