"""What the expenses area gives other areas: the dashboard's spending panel."""
from models.usage import Report
from rules.expenses import SPENDING_TYPES, Period, dashboard_periods, spending_in_periods
from ..core import clock


def spending_panel(subscription):
    """Spending of the last two months and the last two days."""
    periods = dashboard_periods(clock.today())
    span = Period(periods[0][1].start, periods[-1][1].end, False)
    spent_by_day = Report(subscription, span, SPENDING_TYPES).amounts_by_day()
    return {"figures": spending_in_periods(spent_by_day, periods)}
