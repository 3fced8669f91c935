// The newsroom's stream: story cards arrive as server-sent events (rendered and escaped by
// the server) and go on top; a story that changed replaces its card. Pausing keeps what
// arrives until the reader resumes.
"use strict";

const STREAM_LIMIT = 100;

function storyElement(html) {
  const holder = document.createElement("template");
  holder.innerHTML = html.trim();
  return holder.content.firstElementChild;
}

function placeCard(stream, item) {
  const current = document.getElementById("story-" + item.id);
  if (current && Number(current.dataset.version) >= item.version) {
    return;
  }
  const card = storyElement(item.html);
  if (!card) {
    return;
  }
  card.classList.add("fresh");
  if (current) {
    current.remove();
  }
  stream.prepend(card);
  const empty = document.getElementById("empty");
  if (empty) {
    empty.remove();
  }
  while (stream.querySelectorAll("article.story").length > STREAM_LIMIT) {
    stream.querySelector("article.story:last-of-type").remove();
  }
}

function startStream() {
  const stream = document.getElementById("stream");
  const live = document.getElementById("live");
  const pause = document.getElementById("pause");
  if (!stream || !live) {
    return;
  }
  const inView = document.getElementById("in-view");
  const waiting = new Map();
  let paused = false;
  const show = (text, state) => {
    live.textContent = text;
    live.dataset.state = state;
  };
  const showState = () => {
    if (paused) {
      show(waiting.size ? "paused, " + waiting.size + " new" : "paused", "paused");
    } else {
      show("live", "live");
    }
  };
  const source = new EventSource(live.dataset.events);
  source.addEventListener("open", showState);
  source.addEventListener("error", () => show("reconnecting", "down"));
  // The server kept no changes as old as this page's: it starts over.
  source.addEventListener("reload", () => window.location.reload());
  source.addEventListener("stories", (event) => {
    const data = JSON.parse(event.data);
    if (inView) {
      inView.textContent = data.held + (data.held === 1 ? " story" : " stories") + " in view";
    }
    for (const item of data.stories) {
      if (paused) {
        waiting.delete(item.id); // a story changed again goes on top when resumed
        waiting.set(item.id, item);
      } else {
        placeCard(stream, item);
      }
    }
    showState();
  });
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume" : "Pause";
    if (!paused) {
      for (const item of waiting.values()) {
        placeCard(stream, item);
      }
      waiting.clear();
    }
    showState();
  });
}

// The filter goes to the address without its empty fields: a short link to share.
function submitOnChange() {
  const form = document.getElementById("filters");
  if (!form) {
    return;
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value).trim()) {
        query.set(name, String(value).trim());
      }
    }
    const text = query.toString();
    window.location.assign(form.getAttribute("action") + (text ? "?" + text : ""));
  });
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => form.requestSubmit());
  }
}

document.addEventListener("DOMContentLoaded", () => {
  startStream();
  submitOnChange();
});
