// Registers the service worker that keeps the site working offline (see sw.js).
//
// After the worker has cached the site, <body data-offline="ready"> is set, and a short note in
// the element with id "offline-status" (if the page has one) says the site now works offline.

export async function registerOffline() {
  if (!("serviceWorker" in navigator) || !/^https?:$/.test(location.protocol)) return;
  try {
    const registration = await navigator.serviceWorker.register("sw.js", { scope: "./" });
    await navigator.serviceWorker.ready;
    if (registration.active) {
      document.body.dataset.offline = "ready";
      const status = document.getElementById("offline-status");
      if (status) status.textContent = "Works offline";
    }
  } catch (err) {
    // The page works without it; only the offline copy is missing.
    document.body.dataset.offline = "unavailable";
    console.warn("offline copy unavailable:", err);
  }
}
