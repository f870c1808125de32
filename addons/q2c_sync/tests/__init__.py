from . import test_page_jobs
