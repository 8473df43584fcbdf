// Registers the service worker that keeps the site working offline (see sw.js).
//
// Registration waits until the page is ready (<body data-ready="true">): by then the browser has
// downloaded every file once, so the worker's copy comes from the HTTP cache instead of competing
// with the first load for the network. After the worker has cached the site,
// <body data-offline="ready"> is set and the element with id "offline-status" (if the page has
// one) says the site now works offline.

function whenReady() {
  return new Promise((resolve) => {
    if (document.body.dataset.ready === "true") return resolve();
    const observer = new MutationObserver(() => {
      if (document.body.dataset.ready === "true") {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(document.body, { attributes: true, attributeFilter: ["data-ready"] });
  });
}

export async function registerOffline() {
  if (!("serviceWorker" in navigator) || !/^https?:$/.test(location.protocol)) return;
  try {
    // A returning visitor already has a worker: nothing to wait for.
    if (!navigator.serviceWorker.controller) await whenReady();
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
