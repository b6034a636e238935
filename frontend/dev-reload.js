// `just dev` only: reloads the page once the web app has been rebuilt. Each build writes
// /build-id last, after every file it changed; this file asks for it twice a second and
// reloads when it differs. A file of its own, not an inline script, so the Content-
// Security-Policy holds in development too.
const BUILD_ID = "/build-id";

async function currentBuild() {
  try {
    const response = await fetch(BUILD_ID, { cache: "no-store" });
    return response.ok ? (await response.text()).trim() : null;
  } catch {
    // The server is restarting; ask again next time.
    return null;
  }
}

let loaded = await currentBuild();
setInterval(async () => {
  const build = await currentBuild();
  if (build === null) return;
  if (loaded === null) {
    loaded = build;
  } else if (build !== loaded) {
    location.reload();
  }
}, 500);
