// The full list: what it shows and how it is driven. The records live in a worker (list-worker.js), which
// loads releases.json and answers each view; this page keeps the controls, the address and the rows drawn.
// The whole view lives in the URL query string so a filtered view can be shared and back/forward work.
// Discogs text is untrusted: rows are built from DOM text nodes, never from HTML strings.
"use strict";

(function () {
  const PER_PAGE = { "": 25, covers: 48 };  // rows, and the cover wall
  // The selects: each counts its options and narrows the others; each can be turned round ("exclude").
  // After loading, also the owner's published folder and dropdown fields (see addPublishedFacets).
  const FILTERS = ["genre", "style", "format", "detail", "decade", "rating"];
  const BUILT_IN = FILTERS.length;
  // Filters matched by rule rather than picked from a list (typed, or opened by the dashboard's charts).
  const LINKED = { artist: "Artist", label: "Label", year: "Original year", from: "From year", to: "To year",
                   until: "Added by the end of" };
  const DEFAULTS = { q: "", sort: "added", page: 1, pick: "", view: "", open: "", except: "", years: "",
                     ...Object.fromEntries(FILTERS.map((name) => [name, ""])),
                     ...Object.fromEntries(Object.keys(LINKED).map((name) => [name, ""])) };
  // Every sort in both directions; unknown years and unrated items go last either way.
  const ORDER_NAMES = {
    added: "newest first", "added-asc": "oldest added first", artist: "by artist (A–Z)", "artist-desc": "by artist (Z–A)",
    title: "by title (A–Z)", "title-desc": "by title (Z–A)", year: "oldest first (original year)",
    "year-desc": "newest first (original year)", pressing: "oldest pressing first", "pressing-desc": "newest pressing first",
    label: "by label and catalogue number", "label-desc": "by label and catalogue number (Z–A)",
    rating: "highest rated first", "rating-asc": "lowest rated first",
  };
  const SORTS = Object.keys(ORDER_NAMES);
  const form = document.getElementById("filters");
  const list = document.getElementById("releases");
  const status = document.getElementById("status");
  const count = document.querySelector('[data-testid="result-count"]');
  const pages = document.getElementById("pages");
  const pageLabel = document.getElementById("page-label");
  const pick = document.getElementById("pick");
  const randomButton = document.getElementById("random");
  const resetButton = document.getElementById("reset");
  const ordering = document.getElementById("ordering");
  const chips = document.getElementById("chips");
  const views = document.getElementById("views");
  const toggle = document.getElementById("filters-toggle");
  const viewer = document.getElementById("release-view");
  const root = document.documentElement;
  const covers = window.siteCovers;
  const { compact } = window.listRecords;
  const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
  const numbers = new Intl.NumberFormat();
  const byDecade = (a, b) => parseInt(a, 10) - parseInt(b, 10);
  const seen = new Map();  // instance id -> a record the worker has sent (rows drawn, picks, opened)
  let total = 0;  // records in the whole collection
  // Other public collectors with the same release, or the same master (friends.json: release id ->
  // [[name, their directory]]); on the wantlist, those who own a wanted release (owners.json).
  let friends = { same: {}, master: {} };
  const owners = form.dataset.friends === "owners.json";
  let largeCovers = null;  // covers.json, loaded when the first cover is opened
  let state = { ...DEFAULTS };

  // The worker: one question at a time per id, answered with the same id. While anything is asked, or a
  // change waits to be counted, <html data-busy> says so (what the browser tests wait on).
  const absolute = (url) => new URL(url, window.location.href).href;
  const worker = new Worker(absolute(form.dataset.worker));
  const waiting = new Map();
  let asked = 0;
  function busy() {
    const now = waiting.size || narrowing !== null || again || addressLater !== null || root.dataset.drawing;
    if (now && !root.dataset.busy) root.dataset.busy = "true";
    else if (!now && root.dataset.busy) delete root.dataset.busy;
  }
  function ask(type, question = {}) {
    const id = ++asked;
    const answer = new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
    worker.postMessage({ id, type, helpersUrl: absolute(form.dataset.records), ...question });
    busy();
    return answer;
  }
  worker.addEventListener("message", (event) => {
    const { id, result, error } = event.data;
    const waiter = waiting.get(id);
    waiting.delete(id);
    if (waiter && error !== undefined) waiter.reject(new Error(error));
    else if (waiter) waiter.resolve(result);
    busy();
  });
  worker.addEventListener("error", (event) => {
    event.preventDefault();  // said on the page instead
    for (const waiter of waiting.values()) waiter.reject(new Error("the list's script did not start"));
    waiting.clear();
    busy();
  });

  function readState() {
    const params = new URLSearchParams(window.location.search);
    const read = { ...DEFAULTS };
    for (const key of ["q", ...FILTERS, ...Object.keys(LINKED)]) read[key] = params.get(key) || "";
    read.sort = SORTS.includes(params.get("sort")) ? params.get("sort") : DEFAULTS.sort;
    const page = parseInt(params.get("page") || "1", 10);
    read.page = Number.isFinite(page) && page > 0 ? page : 1;
    read.pick = /^\d+$/.test(params.get("pick") || "") ? params.get("pick") : "";
    read.open = /^\d+$/.test(params.get("open") || "") ? params.get("open") : "";
    read.view = params.get("view") === "covers" ? "covers" : "";
    read.years = params.get("years") === "pressing" ? "pressing" : "";
    read.except = (params.get("except") || "").split(",").filter((name) => FILTERS.includes(name)).sort().join(",");
    return read;
  }

  // Typing writes the address once it pauses (each write costs the page's thread a few milliseconds on a
  // phone); any other change writes it at once, the typed query included.
  let addressLater = null;
  function writeState(push, later = false) {
    clearTimeout(addressLater);
    addressLater = later ? setTimeout(() => writeState(false), 300) : null;
    busy();
    if (later) return;
    const params = new URLSearchParams();
    for (const key of ["q", ...FILTERS, "except", "years", ...Object.keys(LINKED), "sort", "view", "page", "pick", "open"]) {
      if (String(state[key]) !== String(DEFAULTS[key])) params.set(key, state[key]);
    }
    const query = params.toString();
    const url = query ? `?${query}` : window.location.pathname;
    if (push) window.history.pushState(null, "", url);
    else window.history.replaceState(null, "", url);
  }

  const excluded = (name) => state.except.split(",").includes(name);
  // A facet no longer chosen is no longer turned round either: the next value picked is included again.
  const exceptWithout = (name) => state.except.split(",").filter((other) => other && other !== name).join(",");
  const stars = (n) => `${"★".repeat(Number(n) || 0)}${"☆".repeat(5 - (Number(n) || 0))}`;
  const shownValue = (name, value) => (name === "rating" ? stars(value) : value);
  // What a view of the list depends on (the pick and the open record are drawn apart).
  const viewOf = (s) => JSON.stringify({ ...s, pick: "", open: "" });

  // Every active filter as a chip that removes it: the selects' and the dashboard's alike, so on a phone,
  // where the selects fold away behind one button, what narrows the list stays in sight.
  const SELECTS = { genre: "Genre", style: "Style", format: "Format", detail: "Format detail", decade: "Decade",
                    rating: "Rating" };
  const NAMES = { ...SELECTS, ...LINKED };
  const published = { order: {} };  // a published field's values in the owner's order (releases.json)
  const publishedName = (name) => (name === "folder" ? "Folder" : name.replace(/^(field|text):/, ""));

  // A select (and its "exclude" box) for each facet the owner publishes: their folders, a dropdown field
  // such as Media Condition. Built from releases.json's names with text nodes, like every other label.
  function addPublishedFacets(names) {
    const before = form.elements.artist.closest("label");
    for (const name of names) {
      const shown = publishedName(name);
      const facet = document.createElement("div");
      facet.className = "facet published";  // wider than the others: "Any Media Condition" is not cut
      const label = text("label", "", `${shown} `);
      const select = document.createElement("select");
      select.name = name;
      const any = document.createElement("option");
      any.value = "";
      any.textContent = `Any ${name === "folder" ? "folder" : shown}`;
      select.append(any);
      label.append(select);
      const except = text("label", "except", " exclude");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.dataset.except = name;
      box.disabled = true;
      box.setAttribute("aria-label", `Exclude the chosen ${name === "folder" ? "folder" : shown}`);
      except.prepend(box);
      facet.append(label, except);
      before.before(facet);
      FILTERS.push(name);
      SELECTS[name] = NAMES[name] = shown;
      DEFAULTS[name] = "";
    }
  }
  const YEARS = { year: "Year of the pressing", from: "From pressing year", to: "To pressing year",
                  decade: "Decade of the pressing" };
  let chipsShown = null;
  function showChips() {
    const names = Object.keys(NAMES).filter((name) => state[name]);
    const shownNow = JSON.stringify([names.map((name) => state[name]), names, state.except, state.years]);
    if (shownNow === chipsShown) return;  // unchanged: keep the page's layout as it is
    chipsShown = shownNow;
    chips.replaceChildren(...names.map((name) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.dataset.filter = name;
      const shown = `${excluded(name) ? "not " : ""}${name === "rating" ? "★".repeat(Number(state[name]) || 0) : state[name]}`;
      const named = state.years === "pressing" && YEARS[name] ? YEARS[name] : NAMES[name];
      chip.textContent = `${named}: ${shown} ✕`;
      chip.setAttribute("aria-label", `Remove the filter ${named}: ${shown}`);
      return chip;
    }));
    chips.hidden = names.length === 0;
    setText(toggle, names.length ? `Filters (${names.length})` : "Filters");
  }

  // Each select's options, counted over the whole collection (`counted`: [value, how many] pairs).
  function fillSelect(name, counted, current, compare) {
    const select = form.elements[name];
    select.replaceChildren(select.options[0]);  // "All …": the decades are filled again when the years change
    const all = new Map(counted);
    if (current && !all.has(current)) all.set(current, 0); // a shared link naming a value no longer here
    for (const [value, n] of [...all].sort((a, b) => compare(a[0], b[0]))) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = `${shownValue(name, value)} (${numbers.format(n)})`;
      select.append(option);
    }
  }
  const alphabetical = (a, b) => collator.compare(a, b);
  function fillSelects(values) {
    for (const name of ["genre", "style", "format", "detail"]) fillSelect(name, values[name], state[name], alphabetical);
    for (const name of FILTERS.slice(BUILT_IN)) {
      // A dropdown field keeps its owner's order (Mint first); values it does not list go last.
      const given = Array.isArray(published.order[name]) ? published.order[name] : [];
      const rank = (value) => (given.includes(value) ? given.indexOf(value) : given.length);
      fillSelect(name, values[name] || [], state[name], (a, b) => rank(a) - rank(b) || alphabetical(a, b));
    }
    fillSelect("decade", values.decade, state.decade, byDecade);
    fillSelect("rating", values.rating, state.rating, (a, b) => Number(b) - Number(a));
  }

  // Options narrow each other: each select counts what the other active filters and the search leave,
  // and an option that would show nothing cannot be picked. Asked just after a change settles, so typing
  // is answered first.
  let narrowed = 0;
  let narrowing = null;
  async function narrowFacets() {
    narrowing = null;
    const view = viewOf(state);
    const counts = await ask("facets", { state });
    if (!counts || view !== viewOf(state)) return;  // a newer view asks again
    const began = performance.now();
    for (const name of FILTERS) {
      const counted = new Map(counts[name]);
      for (const option of form.elements[name].options) {
        if (!option.value) continue;
        const n = counted.get(option.value) || 0;
        setText(option, `${shownValue(name, option.value)} (${numbers.format(n)})`);
        const disabled = n === 0 && option.value !== state[name];
        if (option.disabled !== disabled) option.disabled = disabled;
      }
    }
    performance.clearMeasures("list-facets");  // the latest only, for the browser benchmark
    performance.measure("list-facets", { start: began });
    root.dataset.facetsNarrowed = String(++narrowed);
  }
  function scheduleFacets() {
    clearTimeout(narrowing);
    narrowing = setTimeout(() => narrowFacets().catch(failed), 60);
    busy();
  }

  function syncControls() {
    form.elements.q.value = state.q;
    for (const name of [...FILTERS, "sort", "years", "artist", "label", "from", "to"]) {
      form.elements[name].value = state[name];
    }
    for (const box of form.querySelectorAll("input[data-except]")) box.checked = excluded(box.dataset.except);
  }

  // A text written only when it changes: rewriting the same words still costs a layout.
  function setText(element, content) {
    if (element.textContent !== content) element.textContent = content;
  }

  function text(tag, className, content) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    element.textContent = content;
    return element;
  }

  function unique(values, keyOf) {
    const seen = new Set();
    return values.filter((value) => {
      const key = keyOf(value);
      if (!key || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  // "SWCO 1762", "1762", "SWCO-1762" are one catalogue number written three ways: keep the first, fullest.
  // "none" is Discogs' placeholder for a release without one: not a number to print.
  function catalogueNumbers(values) {
    const distinct = unique(values.filter((value) => value.trim().toLowerCase() !== "none"), compact);
    return distinct.filter((value) => !distinct.some((other) => other !== value && compact(other) !== compact(value)
      && compact(other).endsWith(compact(value))));
  }

  // A record's years as every page writes them (pipeline/site/years.py): a pressing's year is never passed off
  // as the original's.
  function yearsText(r) {
    if (r.original) return r.year && r.year !== r.original ? `${r.original} (this pressing ${r.year})` : String(r.original);
    return r.year ? `${r.year} pressing · original year unknown` : "year unknown";
  }

  function row(r) {
    const item = document.createElement("li");
    item.className = "release";
    item.dataset.instance = r.instance;
    item.append(opener(r, 64));
    const body = document.createElement("div");
    body.className = "body";
    body.append(text("div", "artist", r.artist));
    const title = text("div", "title", "");
    const link = text("a", "", r.title || "(untitled)");
    link.href = `https://www.discogs.com/release/${Number(r.release)}`;
    link.rel = "noopener";
    link.setAttribute("aria-label", `${r.artist ? `${r.artist} – ` : ""}${r.title || "(untitled)"} on Discogs`);
    title.append(link);
    const copies = r.copies || 1;
    if (copies > 1) {
      const mark = text("span", "copies", ` ×${copies}`);
      mark.title = `${copies} copies of this release in the collection`;
      title.append(mark);
    }
    body.append(title);
    const year = yearsText(r);
    const added = r.month ? `added ${r.added.slice(0, 10)}` : "";
    const rated = r.rating ? stars(r.rating) : "";
    const label = [unique(r.labels, (name) => name).join(", "), catalogueNumbers(r.catnos).join(", ")]
      .filter(Boolean).join(" – ");
    body.append(text("div", "meta", [year, r.format, label].filter(Boolean).join(" · ")));
    const about = text("div", "meta when", "");
    if (added) about.append("added ", text("time", "", r.added.slice(0, 10)));  // never broken at its hyphens
    if (added && rated) about.append(" · ");
    if (rated) about.append(rated);
    if (rated) about.setAttribute("aria-label", [added, `rated ${r.rating} of 5`].filter(Boolean).join(" · "));
    body.append(about);
    const shared = alsoIn(r);
    if (shared) body.append(shared);
    item.append(body);
    return item;
  }

  // "Also in the collections of Bob, Carol and 3 more" (or "Owned by …" on a wantlist), each name a link.
  function people({ names, more }) {
    const span = document.createElement("span");
    names.filter(([, dir]) => /^[a-z0-9-]+$/.test(String(dir))).forEach(([name, dir], i) => {
      if (i) span.append(", ");
      const link = text("a", "", String(name));
      link.href = `${form.dataset.people}${dir}/collection/`;
      span.append(link);
    });
    if (Number(more) > 0) span.append(` and ${numbers.format(Number(more))} more`);
    return span;
  }
  const nobody = { names: [], more: 0 };
  const sharedBy = (found, r) => {
    const entry = found[String(r.release)];
    return entry && Array.isArray(entry.names) ? entry : nobody;
  };
  function alsoIn(r) {
    const same = sharedBy(friends.same, r);
    const master = sharedBy(friends.master, r);
    if (!same.names.length && !master.names.length) return null;
    const line = document.createElement("div");
    line.className = "meta friends";
    if (same.names.length) line.append(owners ? "Owned by " : "Also in the collections of ", people(same));
    if (same.names.length && master.names.length) line.append("; ");
    if (master.names.length) {
      line.append(same.names.length ? "another pressing: " : "Another pressing in the collections of ", people(master));
    }
    return line;
  }

  const nameOf = (r) => `${r.artist ? `${r.artist} – ` : ""}${r.title || "(untitled)"}`;

  // The cover as a button that opens the larger view.
  function opener(r, size) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "cover-open";
    button.dataset.open = r.instance;
    button.setAttribute("aria-label", `${nameOf(r)}: larger cover and details`);
    button.append(covers.cover(r.thumb, r.release, r.artist, r.title, size));
    return button;
  }

  function tile(r) {
    const item = document.createElement("li");
    item.className = "tile";
    item.dataset.instance = r.instance;
    const caption = text("div", "caption", "");
    caption.append(text("span", "artist", r.artist), text("span", "title", r.title || "(untitled)"));
    const copies = r.copies || 1;
    if (copies > 1) caption.append(text("span", "copies", ` ×${copies}`));
    item.append(opener(r, 200), caption);
    return item;
  }

  // A row once built is kept: paging back or refining a search re-attaches it, images already loaded.
  const built = { "": new Map(), covers: new Map() };
  function itemFor(r, view) {
    const made = built[view];
    seen.set(r.instance, r);
    if (!made.has(r.index)) made.set(r.index, view ? tile(r) : row(r));
    return made.get(r.index);
  }

  // A page of new results is drawn a screenful at a time, the first at once and the rest in the tasks
  // after, so no keystroke holds the page's thread for a whole page of new rows. Each stretch is timed
  // (kept for the latest drawing only) for the browser benchmark.
  const AT_ONCE = { "": 6, covers: 12 };
  let drawing = 0;
  function drawRows(rows, view) {
    const mine = ++drawing;
    const began = performance.now();
    performance.clearMeasures("list-drawn");
    const fresh = rows.filter((r) => !built[view].has(r.index)).length;
    const now = fresh <= AT_ONCE[view] ? rows : rows.slice(0, AT_ONCE[view]);
    const shown = now.map((r) => itemFor(r, view));
    if (shown.length !== list.children.length || shown.some((node, i) => list.children[i] !== node)) {
      list.replaceChildren(...shown);
    }
    let left = rows.slice(now.length);
    const more = () => {
      if (mine !== drawing) return;  // a newer drawing took over
      const start = performance.now();
      list.append(...left.slice(0, AT_ONCE[view]).map((r) => itemFor(r, view)));
      left = left.slice(AT_ONCE[view]);
      performance.measure("list-drawn", { start });
      if (left.length) setTimeout(more, 0);
      else delete root.dataset.drawing;
      busy();
    };
    if (left.length) {
      root.dataset.drawing = "true";
      setTimeout(more, 0);
    } else {
      delete root.dataset.drawing;
    }
    return began;
  }

  // One question in flight at a time: a change made while the worker answers is asked for when the answer
  // comes back, so fast typing never queues stale searches and only the newest view is drawn.
  let inFlight = false;
  let again = false;
  function render() {
    if (inFlight) {
      again = true;
      busy();
      return;
    }
    inFlight = true;
    const view = viewOf(state);
    ask("query", { state, perPage: PER_PAGE[state.view] }).then((answer) => {
      inFlight = false;
      if (again || view !== viewOf(state)) {
        again = false;
        render();
      } else {
        draw(answer);
      }
      busy();
    }, (error) => {
      inFlight = false;
      failed(error);
    });
  }

  function draw(answer) {
    const perPage = PER_PAGE[state.view];
    if (state.page !== answer.page) {
      state.page = answer.page;
      writeState(false);  // a link to page 999 of 12 now says page 12
    }
    list.classList.toggle("wall", state.view === "covers");
    const began = drawRows(answer.rows, state.view);
    for (const button of views.querySelectorAll("button")) {
      const pressed = String(button.dataset.view === state.view);
      if (button.getAttribute("aria-pressed") !== pressed) button.setAttribute("aria-pressed", pressed);
    }
    setText(count, numbers.format(answer.found));
    count.hidden = answer.found === 0;  // "No records match these filters.", not "0 No records match …"
    showChips();
    scheduleFacets();
    const pressing = state.years === "pressing" && state.sort.startsWith("year");
    setText(ordering, ORDER_NAMES[pressing ? state.sort.replace("year", "pressing") : state.sort]);
    const filtered = state.q || [...FILTERS, ...Object.keys(LINKED)].some((name) => state[name]);
    for (const box of form.querySelectorAll("input[data-except]")) box.disabled = !state[box.dataset.except];
    status.classList.remove("error");
    // Copies are counted (two of one release are two records): "releases" would undercount what is listed.
    setText(status, answer.found ? (filtered ? `of ${numbers.format(total)} records match` : "records")
      : "No records match these filters.");
    pages.hidden = answer.found <= perPage;
    setText(pageLabel, `Page ${state.page} of ${answer.pages}`);
    const focused = document.activeElement;
    pages.querySelector('[data-page="prev"]').disabled = state.page <= 1;
    pages.querySelector('[data-page="next"]').disabled = state.page >= answer.pages;
    randomButton.disabled = answer.found === 0;
    resetButton.disabled = !filtered && state.sort === DEFAULTS.sort && state.page === 1;
    // A button that just disabled itself would drop keyboard focus to <body>: hand it to a neighbour.
    if (focused instanceof HTMLButtonElement && focused.disabled) {
      const next = focused.dataset.page === "next" ? pages.querySelector('[data-page="prev"]')
        : focused.dataset.page === "prev" ? pages.querySelector('[data-page="next"]') : form.elements.q;
      (next.disabled || next.closest("[hidden]") ? form.elements.q : next).focus();
    }
    performance.measure("list-drawn", { start: began });
    if (!root.dataset.listReady) {
      performance.mark("list-ready");  // read by the browser benchmark
      root.dataset.listReady = "true";
    }
  }

  function failed(error) {
    status.textContent = `Could not load the records (${error.message}). Reload the page to try again.`;
    status.classList.add("error");
  }

  function update(changes, push, later = false) {
    state = { ...state, pick: "", open: "", ...changes };
    pick.hidden = true;
    writeState(push, later);
    render();
  }

  // The random pick is part of the address (?pick=<instance id>), so a shared link shows the same record.
  function showPick(chosen, focus) {
    if (!chosen || chosen.instance !== state.pick) {
      pick.hidden = true;
      return;
    }
    seen.set(chosen.instance, chosen);
    const card = row(chosen);
    card.classList.add("picked");
    pick.querySelector("ol").replaceChildren(card);
    pick.hidden = false;
    if (focus) card.querySelector("a").focus();
  }
  const askPick = () => (state.pick ? ask("record", { instance: state.pick }) : Promise.resolve(null));

  function detail(list, term, value) {
    if (!value) return;
    list.append(text("dt", "", term), text("dd", "", value));
  }

  async function largeCover(instance) {
    if (!form.dataset.covers) return "";  // the wantlist has no file of large covers
    if (!largeCovers) {
      largeCovers = fetch(form.dataset.covers, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { covers: {} }))
        .then((data) => data.covers || {}, () => ({}));
    }
    return (await largeCovers)[instance] || "";
  }

  // The larger view of one release: a modal dialog (focus stays inside, Esc closes), in the address as ?open=.
  // Opened from a cover (or a shared link) it has a history entry of its own, so Back closes it and stays on
  // the list; closing it goes back from that entry. Previous and next follow the list's order across pages.
  let returnTo = null;
  let openPushed = false;  // the record shown has a history entry of its own, which closing it goes back from
  const steps = { prev: viewer.querySelector('[data-step="-1"]'), next: viewer.querySelector('[data-step="1"]') };
  async function showSteps(instance) {
    const { before, after } = await ask("around", { state, instance });
    if (viewer.dataset.instance !== instance) return;  // stepped on meanwhile
    const focused = document.activeElement;
    steps.prev.disabled = !before;
    steps.next.disabled = !after;
    if (focused === steps.prev && !before) steps.next.focus();  // a button that disabled itself keeps no focus
    if (focused === steps.next && !after) steps.prev.focus();
  }
  async function step(by) {
    const instance = viewer.dataset.instance;
    const { record } = await ask("around", { state, instance, step: by });
    if (record && viewer.open && viewer.dataset.instance === instance) openView(record, returnTo);
  }
  function openView(r, from, push = false) {
    returnTo = from || null;
    seen.set(r.instance, r);
    const big = viewer.querySelector(".big-cover");
    big.replaceChildren(covers.cover(r.thumb, r.release, r.artist, r.title, 500));
    largeCover(r.instance).then((url) => {
      if (covers.usable(url) && viewer.dataset.instance === r.instance) {
        big.replaceChildren(covers.cover(url, r.release, r.artist, r.title, 500));
      }
    });
    viewer.dataset.instance = r.instance;
    viewer.querySelector(".artist").textContent = r.artist;
    const copies = r.copies || 1;
    viewer.querySelector("h2").textContent = `${r.title || "(untitled)"}${copies > 1 ? ` (×${copies})` : ""}`;
    const facts = viewer.querySelector("dl");
    facts.replaceChildren();
    if (r.original) {
      detail(facts, "Original year", String(r.original));
      if (r.year && r.year !== r.original) detail(facts, "This pressing", String(r.year));
    } else {
      detail(facts, "Year", r.year ? yearsText(r) : "unknown");
    }
    detail(facts, "Format", r.format);
    detail(facts, "Label", [unique(r.labels, (name) => name).join(", "), catalogueNumbers(r.catnos).join(", ")]
      .filter(Boolean).join(" – "));
    detail(facts, "Genres", r.genres.join(", "));
    detail(facts, "Styles", r.styles.join(", "));
    detail(facts, "Added", r.added.slice(0, 10));
    detail(facts, "Rating", r.rating ? `${stars(r.rating)} (${r.rating} of 5)` : "");
    for (const [name, value] of Object.entries(r.extras || {})) detail(facts, publishedName(name), value);
    if (copies > 1) detail(facts, "Copies", `${copies} of this release in the collection`);
    const shared = alsoIn(r);
    if (shared) {
      facts.append(text("dt", "", owners ? "Owned by" : "Shared with"));
      const dd = document.createElement("dd");
      dd.append(...shared.childNodes);
      facts.append(dd);
    }
    const link = viewer.querySelector(".on-discogs");
    link.href = `https://www.discogs.com/release/${Number(r.release)}`;
    state.open = r.instance;
    const pushing = push && !viewer.open;
    writeState(pushing);
    openPushed = openPushed || pushing;
    showSteps(r.instance);
    if (!viewer.open) viewer.showModal();
  }

  function listen() {
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-open]");
      const chosen = button && seen.get(button.dataset.open);
      if (chosen) openView(chosen, button, true);
    });
    for (const button of Object.values(steps)) {
      button.addEventListener("click", () => step(Number(button.dataset.step)));
    }
    viewer.addEventListener("keydown", (event) => {
      const arrow = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
      if (!arrow || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      step(arrow);
    });
    viewer.querySelector(".close").addEventListener("click", () => viewer.close());
    viewer.addEventListener("click", (event) => {
      if (event.target === viewer) viewer.close();  // a click on the backdrop
    });
    viewer.addEventListener("close", () => {
      const shown = list.querySelector(`button[data-open="${viewer.dataset.instance}"]`);  // stepped to, if drawn
      state.open = "";
      if (openPushed) {
        openPushed = false;
        window.history.back();  // to the list's own entry, which popstate draws (the view already closed)
      } else {
        writeState(false);
      }
      const back = shown || (returnTo && returnTo.isConnected ? returnTo : list.querySelector("button[data-open]"));
      if (back) back.focus();
    });
    views.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-view]");
      if (!button || button.dataset.view === state.view) return;
      // Keep the first record on screen in sight: the other view holds more or fewer per page.
      const first = (state.page - 1) * PER_PAGE[state.view];
      update({ view: button.dataset.view, page: Math.floor(first / PER_PAGE[button.dataset.view]) + 1 }, true);
      button.focus();
    });
    form.addEventListener("submit", (event) => event.preventDefault());
    form.elements.q.addEventListener("input", () => update({ q: form.elements.q.value, page: 1 }, false, true));
    // Leaving the field (to follow a link, say) writes the address the typing left waiting.
    const flush = () => addressLater !== null && writeState(false);
    form.elements.q.addEventListener("blur", flush);
    window.addEventListener("pagehide", flush);
    // Arrow keys on a closed select fire "change" per option: one history entry per visit to the select.
    for (const name of [...FILTERS, "sort"]) {
      const select = form.elements[name];
      let pushed = false;
      select.addEventListener("focus", () => { pushed = false; });
      select.addEventListener("change", () => {
        update({ [name]: select.value, page: 1, ...(select.value ? {} : { except: exceptWithout(name) }) }, !pushed);
        syncControls();
        pushed = true;
      });
    }
    for (const box of form.querySelectorAll("input[data-except]")) {
      box.addEventListener("change", () => {
        const names = new Set(state.except.split(",").filter(Boolean));
        if (box.checked) names.add(box.dataset.except);
        else names.delete(box.dataset.except);
        update({ except: [...names].sort().join(","), page: 1 }, true);
      });
    }
    // Artist and label: typed with suggestions, matched exactly (whatever the case) once the field is left.
    for (const name of ["artist", "label"]) {
      const input = form.elements[name];
      input.addEventListener("change", async () => {
        const typed = input.value.trim();
        const match = typed ? await ask("resolve", { name, typed }) : "";
        if (input.value.trim() !== typed) return;  // typed on meanwhile: that change asks again
        input.value = match;
        update({ [name]: match, page: 1 }, true);
      });
      // Thousands of suggestions cost the first view a noticeable moment: asked for when the field is first used.
      input.addEventListener("focus", async () => {
        const options = document.getElementById(`${name}-options`);
        if (options.children.length || options.dataset.asked) return;
        options.dataset.asked = "true";
        options.replaceChildren(...(await ask("known", { name })).map((value) => {
          const option = document.createElement("option");
          option.value = value;
          return option;
        }));
      });
    }
    for (const name of ["from", "to"]) {
      const input = form.elements[name];
      input.addEventListener("change", () => {
        const year = /^\d{4}$/.test(input.value.trim()) ? input.value.trim() : "";
        input.value = year;
        update({ [name]: year, page: 1 }, true);
      });
    }
    form.elements.years.addEventListener("change", async () => {
      // A decade of original years is not one of pressing years: the choice is dropped with the list of decades.
      const years = form.elements.years.value;
      const values = await ask("values", { state: { ...state, years } });
      fillSelect("decade", values.decade, "", byDecade);
      update({ years, decade: "", except: exceptWithout("decade"), page: 1 }, true);
      syncControls();
    });
    pages.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-page]");
      if (!button || button.disabled) return;
      update({ page: state.page + (button.dataset.page === "next" ? 1 : -1) }, true);
      list.scrollIntoView({ block: "start" });
    });
    chips.addEventListener("click", (event) => {
      const chip = event.target.closest("button[data-filter]");
      if (!chip) return;
      update({ [chip.dataset.filter]: "", page: 1, except: exceptWithout(chip.dataset.filter) }, true);
      syncControls();
      (chips.querySelector("button") || form.elements.q).focus();
    });
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      form.classList.toggle("open", open);
      if (open) form.elements.genre.focus();
    });
    resetButton.addEventListener("click", () => {
      state = { ...DEFAULTS };
      syncControls();
      update({}, true);
    });
    randomButton.addEventListener("click", async () => {
      const chosen = await ask("pick", { state });
      if (!chosen) return;
      state.pick = chosen.instance;
      writeState(true);
      showPick(chosen, true);
    });
    window.addEventListener("popstate", async () => {
      clearTimeout(addressLater);  // the address waiting to be written belonged to the entry just left
      addressLater = null;
      openPushed = false;  // Back (or Forward) has left the open record's entry already
      const before = state;
      state = readState();
      if (state.years !== before.years) fillSelect("decade", (await ask("values", { state })).decade, state.decade, byDecade);
      syncControls();
      render();
      showPick(await askPick(), false);
      showOpen(state.open ? await ask("record", { instance: state.open }) : null);
    });
  }

  function showOpen(chosen) {
    if (chosen && chosen.instance === state.open) openView(chosen, null);
    else if (viewer.open) viewer.close();
  }

  // The newest records, from a small file, while the whole collection loads: a plain first visit shows
  // rows at once however big the collection. Anything narrower waits for the whole list.
  async function showFirst() {
    const plain = !state.q && state.sort === DEFAULTS.sort && state.page === 1 && !state.pick && !state.open
      && [...FILTERS, ...Object.keys(LINKED)].every((name) => !state[name]);
    if (!plain || !form.dataset.first) return;
    try {
      const first = await window.listRecords.load(form.dataset.first);
      if (settled) return;  // the whole list won the race, or failed and says so
      const newest = window.listRecords.toRecords(first).slice(0, PER_PAGE[state.view]);
      for (const r of newest) seen.set(r.instance, r);
      list.classList.toggle("wall", state.view === "covers");
      list.replaceChildren(...newest.map((r) => (state.view ? tile(r) : row(r))));
      count.textContent = numbers.format(Number(first.total) || newest.length);
      status.textContent = "records (loading the rest…)";
      performance.mark("first-rows");  // read by the browser benchmark
      root.dataset.firstRows = "true";
    } catch {
      // the whole list follows anyway
    }
  }

  // What the visitor types, picks or sorts while the whole list still loads is kept (the controls are set from
  // the address when it arrives, which emptied the search box) and applied then, as one step back can undo.
  const early = new Map();
  const keepEarly = (event) => event.target.name && early.set(event.target.name, event.target.value);
  async function earlyChanges() {
    const resolved = {};  // artist and label typed any way become the collection's own spelling, as later
    for (const name of ["artist", "label"].filter((n) => early.has(n) && early.get(n).trim())) {
      resolved[name] = [early.get(name), await ask("resolve", { name, typed: early.get(name).trim() })];
    }
    form.removeEventListener("input", keepEarly);
    form.removeEventListener("change", keepEarly);
    const changes = {};
    for (const [name, value] of early) {
      if (name === "q") changes.q = value;
      else if (name === "sort" && SORTS.includes(value)) changes.sort = value;
      else if (name === "years") changes.years = value === "pressing" ? "pressing" : "";
      else if (name === "from" || name === "to") changes[name] = /^\d{4}$/.test(value.trim()) ? value.trim() : "";
      else if (name === "artist" || name === "label") {
        changes[name] = resolved[name] && resolved[name][0] === value ? resolved[name][1] : "";
      } else if (FILTERS.includes(name)) changes[name] = value;
    }
    for (const [name, value] of Object.entries(changes)) if (state[name] === value) delete changes[name];
    if (changes.years !== undefined) {  // a decade of original years is not one of pressing years
      fillSelect("decade", (await ask("values", { state: { ...state, ...changes } })).decade, "", byDecade);
      Object.assign(changes, { decade: "", except: exceptWithout("decade") });
    }
    return changes;
  }

  let settled = false;
  async function start() {
    form.addEventListener("input", keepEarly);
    form.addEventListener("change", keepEarly);
    state = readState();
    const whole = ask("load", { url: absolute(form.dataset.src), state });
    const shared = form.dataset.friends
      ? fetch(form.dataset.friends, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : null)).catch(() => null)
      : Promise.resolve(null);
    showFirst();
    let loaded;
    try {
      loaded = await whole;
    } catch (error) {
      settled = true;
      failed(error);
      return;
    }
    settled = true;
    total = loaded.total;
    const found = await shared;
    if (found && found.same && found.master) friends = found;
    addPublishedFacets(loaded.facets || []);
    published.order = loaded.order || {};
    state = readState();  // the published facets' filters, now that the page knows them
    fillSelects(loaded.values);
    let [chosen, opened] = await Promise.all([askPick(), state.open ? ask("record", { instance: state.open }) : null]);
    const changes = await earlyChanges();
    if (Object.keys(changes).length) {
      state = { ...state, pick: "", open: "", page: 1, ...changes };
      chosen = opened = null;
      writeState(true);
    }
    syncControls();
    listen();
    render();
    showPick(chosen, false);
    if (state.open) {
      // A shared link's record opens in the view over the list, Back closing it (an entry of its own) …
      state.open = "";
      writeState(false);
      if (opened) openView(opened, null, true);  // … unless it is no longer in the collection
    }
  }

  start();
})();
