"""A token's calls of the balance API are counted in a table of their own, api_call_count
(made by init-db), no longer among the SMS counts: the windows running now move there, so
no token gets a fresh minute from the upgrade."""


def up(migrator, db):
    # The pattern goes as a parameter: psycopg2 would take its '%' for a placeholder.
    api_keys = ("api:%",)
    db.execute_sql("INSERT INTO api_call_count (key, window_start, count) "
                   "SELECT substr(key, 5), window_start, count FROM sms_count "
                   f"WHERE key LIKE {db.param}", api_keys)
    db.execute_sql(f"DELETE FROM sms_count WHERE key LIKE {db.param}", api_keys)
