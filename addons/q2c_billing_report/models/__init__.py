from . import q2c_utilization_report, q2c_wip_report
