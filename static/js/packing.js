/* The packing screen (templates/admin/orders/packing/screen.html): a scan (a keyboard-wedge
   scanner types the code and presses Enter) is posted for JSON, the panel the server rendered is
   swapped in, and a short beep says yes or no. Without this file every scan is a normal POST. */
(function () {
  "use strict";

  var audio = null;

  function beep(ok) {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = audio || new Context();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = ok ? "sine" : "square";
      oscillator.frequency.value = ok ? 880 : 220;
      gain.gain.value = 0.15;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + (ok ? 0.12 : 0.4));
    } catch (error) {
      /* no sound: the colour still tells */
    }
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var form = document.querySelector("form[data-packing-scan]");
    if (!form) return;
    var feedback = document.querySelector("[data-packing-feedback]");
    var panel = document.querySelector("[data-packing-panel]");
    var code = form.querySelector("input[name=code]");
    var count = form.querySelector("input[name=count]");
    var busy = false;

    function show(ok, message) {
      feedback.textContent = message;
      feedback.classList.remove("packing-feedback--ok", "packing-feedback--refused");
      feedback.classList.add(ok ? "packing-feedback--ok" : "packing-feedback--refused");
      beep(ok);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      fetch(form.action || window.location.href, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          show(data.ok, data.message);
          if (data.panel !== undefined) panel.innerHTML = data.panel;
          if (data.ok) count.value = "1";
        })
        .catch(function () { show(false, "The scan did not reach the server: scan it again."); })
        .then(function () {
          busy = false;
          code.value = "";
          code.focus();
        });
    });
  });
})();
