/* Installs the service worker (static/sw.js, served as /sw.js so it may serve /widget). */
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", {scope: "/"});
}
