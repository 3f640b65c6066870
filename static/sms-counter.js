/* Counts an SMS as it is typed: GSM-7 (160 in one SMS, 153 a part) or UCS-2 (70, 67).
   The same rules as rules/sms.py. The counter is hidden until this script shows it, and
   the words for a page without scripts ([data-sms-nojs]: counted when sent) go. */
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "\f^{}\\[~]|€";
  var SINGLE = {gsm7: 160, ucs2: 70}, PER_PART = {gsm7: 153, ucs2: 67};

  function count(text) {
    var chars = Array.from(text.replace(/\r\n/g, "\n")), encoding = "gsm7", sizes = [], i;
    for (i = 0; i < chars.length; i++) {
      if (BASIC.indexOf(chars[i]) < 0 && EXTENSION.indexOf(chars[i]) < 0) { encoding = "ucs2"; break; }
    }
    for (i = 0; i < chars.length; i++) {
      sizes.push(encoding === "gsm7" ? (EXTENSION.indexOf(chars[i]) < 0 ? 1 : 2) : chars[i].length);
    }
    var units = sizes.reduce(function (a, b) { return a + b; }, 0);
    if (units === 0) return {encoding: encoding, units: 0, characters: 0, parts: 0, left: SINGLE[encoding]};
    if (units <= SINGLE[encoding]) {
      return {encoding: encoding, units: units, characters: chars.length, parts: 1, left: SINGLE[encoding] - units};
    }
    var perPart = PER_PART[encoding], parts = 1, used = 0;
    sizes.forEach(function (size) {
      if (used + size > perPart) { parts += 1; used = 0; }
      used += size;
    });
    return {encoding: encoding, units: units, characters: chars.length, parts: parts, left: perPart - used};
  }

  if (typeof module !== "undefined") { module.exports = count; return; }

  function show(field) {
    var output = document.getElementById(field.getAttribute("data-sms-output"));
    if (!output) return;
    var typed = field.value.replace(/\r\n/g, "\n");
    var counted = count((field.getAttribute("data-sms-prefix") || "") + typed);
    var put = function (name, value) {
      var span = output.querySelector('[data-sms="' + name + '"]');
      if (span) span.textContent = value;
    };
    put("characters", Array.from(typed).length);
    put("parts", counted.parts);
    put("left", counted.left);
    put("encoding", output.getAttribute("data-" + counted.encoding));
  }

  function prepare(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-sms-output]"), function (field) {
      var output = document.getElementById(field.getAttribute("data-sms-output"));
      if (output) output.hidden = false;
      show(field);
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-sms-nojs]"), function (words) {
      words.hidden = true;
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-sms-output")) show(event.target);
  });
  // A form htmx swapped in (a refused send) comes back as the server wrote it.
  document.addEventListener("htmx:load", function (event) { prepare(event.target); });
  prepare(document);
})();
