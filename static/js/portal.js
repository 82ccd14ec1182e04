// Progressive enhancement only: every page works without this file (the CSP forbids inline script).

// Confirmations: an accessible modal <dialog> (focus stays inside, Esc cancels), not the browser's bare box.
function confirmDialog(message) {
  return new Promise((resolve) => {
    const dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.setAttribute("aria-labelledby", "confirm-message");
    const text = document.createElement("p");
    text.id = "confirm-message";
    text.textContent = message;
    const buttons = document.createElement("div");
    buttons.className = "dialog-buttons";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "取消";
    const ok = document.createElement("button");
    ok.type = "button";
    ok.className = "primary";
    ok.textContent = "确定";
    buttons.append(cancel, ok);
    dialog.append(text, buttons);
    document.body.append(dialog);
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener("click", () => done(false));
    ok.addEventListener("click", () => done(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      done(false);
    });
    dialog.showModal();
    cancel.focus();
  });
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.dataset.confirm;
  if (!message || form.dataset.confirmed === "1") {
    return;
  }
  event.preventDefault();
  const submitter = event.submitter;
  confirmDialog(message).then((answer) => {
    if (answer) {
      form.dataset.confirmed = "1";
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    }
  });
});

// Copy buttons next to one-time secrets: <button data-copy="#input-id" hidden>.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.querySelector(button.dataset.copy);
  if (!field) {
    return;
  }
  button.hidden = false;
  const status = document.querySelector(button.dataset.copyStatus || "#copy-status");
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      document.execCommand("copy"); // plain HTTP: the clipboard API needs a secure context
    }
    if (status) {
      status.textContent = "已复制到剪贴板。";
    }
  });
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
