"""A token's calls of the balance API are counted in a table of their own, api_call_count
(made by init-db), no longer among the SMS counts: the windows running now move there, so
no token gets a fresh minute from the upgrade."""


def up(migrator, db):
    db.execute_sql("INSERT INTO api_call_count (key, window_start, count) "
                   "SELECT substr(key, 5), window_start, count FROM sms_count "
                   "WHERE key LIKE 'api:%'")
    db.execute_sql("DELETE FROM sms_count WHERE key LIKE 'api:%'")
