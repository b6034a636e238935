// Starts the web app. A file of its own, not an inline script, so the Content-Security-
// Policy can forbid inline scripts altogether.
import init from "/pkg/booking_frontend.js";

init();
