"""The shared core every area may use, and which imports no area: pages and forms (web,
forms, guards), printing (formatting), time (clock), settings, languages (i18n),
security (throttling, codes, audit), SMS (outbox, budget, codes sent by SMS), the signed-in
session and which number it acts on (auth), the catalogue, the states of a number, the
low-balance alert, the two-step money moves (moves) and the owner of money events
(money_events)."""
