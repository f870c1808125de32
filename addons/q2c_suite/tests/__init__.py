from . import (
    test_access_matrix,
    test_actions_rpc,
    test_labels,
    test_suite,
    test_workflow_fields,
)
