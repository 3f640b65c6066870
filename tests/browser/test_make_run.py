"""`make run` as trainers use it: demo mode with its banner, and PORTAL_NOW as the app's
"now" (here the 4th of December, the day Home Internet bonuses accrue). No browser needed."""
import http.cookiejar
import re
import urllib.parse
import urllib.request


def test_make_run_serves_the_demo_copy_at_portal_now(live_server):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(live_server.url + "/login").read().decode()
    assert 'class="demo-banner"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"login": "039 123 45 67", "csrf_token": token}).encode()
    before = len(live_server.sms_json("+380391234567"))  # other journeys may text it too
    assert opener.open(live_server.url + "/login/sms", form).status == 200
    sent = live_server.sms_json("+380391234567")
    assert len(sent) == before + 1 and "код для входу" in sent[0]["text"]
    assert sent[0]["sent_at"].startswith(live_server.now[:10])  # 2026-12-04, not today
