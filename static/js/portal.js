// Progressive enhancement only: every page works without this file (the CSP forbids inline script).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Import confirmation: post in the background and show the progress the server reports while it imports.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const progressUrl = form.dataset.progress;
  if (!progressUrl || event.defaultPrevented || !window.fetch) {
    return;
  }
  event.preventDefault();
  const bar = form.querySelector("progress");
  bar.hidden = false;
  form.querySelector("button").disabled = true;
  const timer = window.setInterval(async () => {
    const response = await fetch(progressUrl, { credentials: "same-origin" });
    if (response.ok) {
      const { done, total } = await response.json();
      if (total) {
        bar.max = total;
        bar.value = done;
      }
    }
  }, 500);
  fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" }).then(async (response) => {
    window.clearInterval(timer);
    // Show the page the server answered with (its flash message is in it, and only there).
    const html = await response.text();
    if (response.redirected) {
      window.history.replaceState(null, "", response.url);
    }
    document.open();
    document.write(html);
    document.close();
  });
});
