from . import test_toggl_pull
