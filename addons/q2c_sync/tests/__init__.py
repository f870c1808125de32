from . import test_display_names, test_page_jobs
